import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException as TableNotFound,
} from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ResourceNotFoundException as StreamNotFound,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import type { StreamfoldConfig } from '../core/config/configSchema.js';
import { AGGREGATE_ATTRIBUTES } from '../functions/aggregate/DynamoAggregateStore.js';
import { AGGREGATES_BY_METRIC_INDEX as BY_METRIC } from '../functions/query/aggregatesByMetricIndex.js';
import type { AwsClients } from './awsClients.js';

const POLL_MS = 50;
const ACTIVE_TIMEOUT_MS = 15_000;

/**
 * Creates the stream, the aggregates table and the buckets the configuration
 * declares, if they do not exist yet, and waits until they are active. The
 * table's keys are the same attribute names the CDK stack declares.
 */
export async function provisionResources(
  config: StreamfoldConfig,
  clients: AwsClients,
): Promise<void> {
  await Promise.all([
    ensureStream(config, clients),
    ensureTable(config, clients),
    ensureBucket(clients, config.archive.bucketName),
    ensureBucket(clients, config.rejects.bucketName),
  ]);
}

async function ensureStream(config: StreamfoldConfig, { kinesis }: AwsClients): Promise<void> {
  const StreamName = config.stream.name;
  try {
    await kinesis.send(new DescribeStreamSummaryCommand({ StreamName }));
  } catch (error) {
    if (!(error instanceof StreamNotFound)) throw error;
    await kinesis.send(
      new CreateStreamCommand({ StreamName, ShardCount: config.stream.shardCount }),
    );
  }
  await waitUntil(`stream ${StreamName}`, async () => {
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName }));
    return summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE';
  });
}

async function ensureTable(config: StreamfoldConfig, { dynamodb }: AwsClients): Promise<void> {
  const TableName = config.table.name;
  try {
    await dynamodb.send(new DescribeTableCommand({ TableName }));
  } catch (error) {
    if (!(error instanceof TableNotFound)) throw error;
    await createAggregatesTable(dynamodb, TableName);
  }
}

/**
 * Creates an aggregates table with the keys and the `byMetric` index the CDK
 * stack declares and waits until it is active.
 */
export async function createAggregatesTable(
  dynamodb: DynamoDBClient,
  TableName: string,
): Promise<void> {
  const { partitionKey, sortKey } = AGGREGATE_ATTRIBUTES;
  await dynamodb.send(
    new CreateTableCommand({
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: partitionKey, AttributeType: 'S' },
        { AttributeName: sortKey, AttributeType: 'S' },
        { AttributeName: BY_METRIC.partitionKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: partitionKey, KeyType: 'HASH' },
        { AttributeName: sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: BY_METRIC.indexName,
          KeySchema: [
            { AttributeName: BY_METRIC.partitionKey, KeyType: 'HASH' },
            { AttributeName: BY_METRIC.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    }),
  );
  await waitUntil(`table ${TableName}`, async () => {
    const table = await dynamodb.send(new DescribeTableCommand({ TableName }));
    return table.Table?.TableStatus === 'ACTIVE';
  });
}

async function ensureBucket({ s3 }: AwsClients, Bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket }));
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404) throw error;
    await s3.send(new CreateBucketCommand({ Bucket }));
  }
}

async function waitUntil(what: string, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ACTIVE_TIMEOUT_MS;
  while (!(await ready())) {
    if (Date.now() > deadline)
      throw new Error(`${what} did not become ACTIVE within ${ACTIVE_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
