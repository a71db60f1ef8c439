import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import { createAwsClients } from '../../local/awsClients.js';
import type { QueryArgs } from './parseQueryArgs.js';

/** The table a query run reads. */
export interface QueryTarget {
  /** Shown on stderr: `local (http://127.0.0.1:4568, streamfold-aggregates)`. */
  description: string;
  dynamodb: DynamoDBClient;
  tableName: string;
  close(): void;
}

/**
 * Builds the DynamoDB client for a query run.
 *
 * - `local`: the endpoint `npm start` uses (`local.ports.dynamodb`, or
 *   `local.endpoints.dynamodb`), the configured table name.
 * - `aws`: the default credential chain; the table is `<table.name>-<stage>`
 *   as the CDK app names it, unless `--table` is given.
 */
export async function connectQueryTarget(
  args: QueryArgs,
  config: StreamfoldConfig,
): Promise<QueryTarget> {
  if (args.target === 'aws') {
    const region = args.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    const dynamodb = new DynamoDBClient(region ? { region } : {});
    const tableName = args.table ?? `${config.table.name}-${args.stage}`;
    return {
      description: `aws (${await dynamodb.config.region()}, ${tableName})`,
      dynamodb,
      tableName,
      close: () => dynamodb.destroy(),
    };
  }
  const { host, ports, endpoints: external, region } = config.local;
  const endpoint = external.dynamodb ?? `http://${host}:${ports.dynamodb}`;
  const { dynamodb, kinesis, s3 } = createAwsClients(
    { kinesis: endpoint, dynamodb: endpoint, s3: endpoint },
    region,
  );
  // Only DynamoDB is used; the others were never connected.
  kinesis.destroy();
  s3.destroy();
  const tableName = args.table ?? config.table.name;
  return {
    description: `local (${endpoint}, ${tableName})`,
    dynamodb,
    tableName,
    close: () => dynamodb.destroy(),
  };
}
