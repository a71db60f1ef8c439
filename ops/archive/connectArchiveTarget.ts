import { S3Client } from '@aws-sdk/client-s3';
import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import { createAwsClients } from '../../local/awsClients.js';
import type { ArchiveArgs } from './parseArchiveArgs.js';

/** The bucket an archive query reads. */
export interface ArchiveTarget {
  /** Shown on stderr: `local (http://127.0.0.1:4569, streamfold-archive)`. */
  description: string;
  s3: Pick<S3Client, 'send'>;
  bucket: string;
  close(): void;
}

/**
 * Builds the S3 client for an archive query.
 *
 * - `local`: the endpoint `npm start` uses (`local.ports.s3`, or
 *   `local.endpoints.s3`), the configured archive bucket.
 * - `aws`: the default credential chain and the bucket given with `--bucket`
 *   (the stack names it; output `ArchiveBucketName`).
 */
export async function connectArchiveTarget(
  args: ArchiveArgs,
  config: StreamfoldConfig,
): Promise<ArchiveTarget> {
  if (args.target === 'aws') {
    const region = args.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    const s3 = new S3Client(region ? { region } : {});
    const bucket = args.bucket as string;
    return {
      description: `aws (${await s3.config.region()}, ${bucket})`,
      s3,
      bucket,
      close: () => s3.destroy(),
    };
  }
  const { host, ports, endpoints: external, region } = config.local;
  const endpoint = external.s3 ?? `http://${host}:${ports.s3}`;
  const { dynamodb, kinesis, s3 } = createAwsClients(
    { kinesis: endpoint, dynamodb: endpoint, s3: endpoint },
    region,
  );
  // Only S3 is used; the others were never connected.
  kinesis.destroy();
  dynamodb.destroy();
  const bucket = args.bucket ?? config.archive.bucketName;
  return { description: `local (${endpoint}, ${bucket})`, s3, bucket, close: () => s3.destroy() };
}
