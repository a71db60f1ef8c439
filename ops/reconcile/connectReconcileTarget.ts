import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import { createAwsClients } from '../../local/awsClients.js';
import type { ReconcileArgs } from './parseReconcileArgs.js';

/** The clients and names a reconcile run works with. */
export interface ReconcileTarget {
  /** Shown in the output: `local (http://127.0.0.1:4569, http://127.0.0.1:4568)` or `aws (eu-central-1, stage prod)`. */
  description: string;
  s3: S3Client;
  dynamodb: DynamoDBClient;
  /** Archive bucket. */
  bucket: string;
  tableName: string;
  close(): void;
}

/**
 * Builds the clients for a reconcile run.
 *
 * - `local`: the endpoints `npm start` uses (`local.ports`, or `local.endpoints`
 *   where an emulator is replaced), the configured bucket and table names.
 * - `aws`: the default credential chain; the table is `<table.name>-<stage>`
 *   as the CDK app names it, the bucket comes from `--bucket`.
 */
export async function connectReconcileTarget(
  args: ReconcileArgs,
  config: StreamfoldConfig,
): Promise<ReconcileTarget> {
  if (args.target === 'aws') {
    const region = args.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    const dynamodb = new DynamoDBClient(region ? { region } : {});
    const s3 = new S3Client(region ? { region } : {});
    return {
      description: `aws (${await dynamodb.config.region()}, stage ${args.stage})`,
      s3,
      dynamodb,
      bucket: args.bucket as string,
      tableName: args.table ?? `${config.table.name}-${args.stage}`,
      close: () => {
        dynamodb.destroy();
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
  // Kinesis is not used: the archive and the table are all a run needs.
  clients.kinesis.destroy();
  return {
    description: `local (${endpoints.s3}, ${endpoints.dynamodb})`,
    s3: clients.s3,
    dynamodb: clients.dynamodb,
    bucket: args.bucket ?? config.archive.bucketName,
    tableName: args.table ?? config.table.name,
    close: () => {
      clients.s3.destroy();
      clients.dynamodb.destroy();
    },
  };
}
