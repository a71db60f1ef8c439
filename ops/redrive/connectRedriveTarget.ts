import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import { createAwsClients } from '../../local/awsClients.js';
import type { RedriveArgs } from './parseRedriveArgs.js';

/** The clients and names a redrive run works with. */
export interface RedriveTarget {
  /** Shown in the output: `local (http://127.0.0.1:4568, ...)` or `aws (eu-central-1, stage prod)`. */
  description: string;
  s3: S3Client;
  kinesis: KinesisClient;
  dynamodb: DynamoDBClient;
  /** Rejects bucket: on-failure objects, markers and rejects of bad input. */
  bucket: string;
  prefix: string;
  /** Aggregates table: aggregates and shard ledgers. */
  tableName: string;
  close(): void;
}

/**
 * Builds the clients for a redrive run.
 *
 * - `local`: the endpoints `npm start` uses (`local.ports`, or `local.endpoints`
 *   where an emulator is replaced), the configured bucket and table names.
 * - `aws`: the default credential chain; the table is `<table.name>-<stage>`
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
    const dynamodb = new DynamoDBClient(region ? { region } : {});
    return {
      description: `aws (${await kinesis.config.region()}, stage ${args.stage})`,
      s3,
      kinesis,
      dynamodb,
      bucket: args.bucket as string,
      prefix,
      tableName: args.table ?? `${config.table.name}-${args.stage}`,
      close: () => {
        kinesis.destroy();
        s3.destroy();
        dynamodb.destroy();
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
    description: `local (${endpoints.dynamodb}, ${endpoints.s3})`,
    s3: clients.s3,
    kinesis: clients.kinesis,
    dynamodb: clients.dynamodb,
    bucket: args.bucket ?? config.rejects.bucketName,
    prefix,
    tableName: args.table ?? config.table.name,
    close: () => {
      clients.kinesis.destroy();
      clients.s3.destroy();
      clients.dynamodb.destroy();
    },
  };
}
