import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import { createAwsClients } from '../../local/awsClients.js';
import type { RedriveArgs } from './parseRedriveArgs.js';

/** The clients and names a redrive run works with. */
export interface RedriveTarget {
  /** Shown in the output: `local (http://127.0.0.1:4567)` or `aws (eu-central-1, stage prod)`. */
  description: string;
  s3: S3Client;
  kinesis: KinesisClient;
  bucket: string;
  prefix: string;
  streamName: string;
  close(): void;
}

/**
 * Builds the clients for a redrive run.
 *
 * - `local`: the endpoints `npm start` uses (`local.ports`, or `local.endpoints`
 *   where an emulator is replaced), the configured bucket and stream names.
 * - `aws`: the default credential chain; the stream is `<stream.name>-<stage>`
 *   as the CDK app names it, the bucket comes from `--bucket`.
 */
export async function connectRedriveTarget(
  args: RedriveArgs,
  config: StreamfoldConfig,
): Promise<RedriveTarget> {
  const prefix = args.prefix ?? config.rejects.onFailurePrefix;
  if (args.target === 'aws') {
    const region = args.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    const kinesis = new KinesisClient(region ? { region } : {});
    const s3 = new S3Client(region ? { region } : {});
    return {
      description: `aws (${await kinesis.config.region()}, stage ${args.stage})`,
      s3,
      kinesis,
      bucket: args.bucket as string,
      prefix,
      streamName: args.streamName ?? `${config.stream.name}-${args.stage}`,
      close: () => {
        kinesis.destroy();
        s3.destroy();
      },
    };
  }
  const { host, ports, endpoints: external, region } = config.local;
  const endpoints = {
    kinesis: external.kinesis ?? `http://${host}:${ports.kinesis}`,
    dynamodb: external.dynamodb ?? `http://${host}:${ports.dynamodb}`,
    s3: external.s3 ?? `http://${host}:${ports.s3}`,
  };
  const clients = createAwsClients(endpoints, region);
  return {
    description: `local (${endpoints.kinesis}, ${endpoints.s3})`,
    s3: clients.s3,
    kinesis: clients.kinesis,
    bucket: args.bucket ?? config.rejects.bucketName,
    prefix,
    streamName: args.streamName ?? config.stream.name,
    close: () => {
      clients.kinesis.destroy();
      clients.s3.destroy();
      clients.dynamodb.destroy();
    },
  };
}
