import { Logger } from '@aws-lambda-powertools/logger';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileMetrics } from '../../core/aggregates/compileMetrics.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { webShopCatalog } from '../../examples/web-shop/catalog.js';
import { sampleEventGenerator } from '../../examples/web-shop/sampleEvents.js';
import { aggregateKinesisBatch } from '../../functions/aggregate/aggregateKinesisBatch.js';
import { DynamoAggregateStore } from '../../functions/aggregate/DynamoAggregateStore.js';
import { DynamoGroupRegistry } from '../../functions/aggregate/DynamoGroupRegistry.js';
import { createAwsClients } from '../../local/awsClients.js';
import { type RunningEmulators, startEmulators } from '../../local/emulators/startEmulators.js';
import { createAggregatesTable } from '../../local/provisionResources.js';
import { kinesisStreamEvent, TEST_SHARD_ID } from '../helpers/kinesisStreamEvent.js';
import { expectedAggregates, expectMatchesGroundTruth } from './groundTruth.js';
import { readAggregates } from './readAggregates.js';

const config = loadConfig();
let emulators: RunningEmulators;
let tableCounter = 0;
let dynamodb: ReturnType<typeof createAwsClients>['dynamodb'];

/** One Kinesis record per event, with increasing sequence numbers (of growing length, like real ones). */
function batchOf(
  events: readonly StreamfoldEvent[],
  firstSequence: number,
  shardId = TEST_SHARD_ID,
): KinesisStreamEvent {
  return kinesisStreamEvent(
    events.map((event, i) => ({
      sequenceNumber: String(BigInt(firstSequence + i) * 10n ** 20n + 7n),
      lines: [event],
    })),
    shardId,
  );
}

async function newTable(): Promise<string> {
  const TableName = `flush-test-${++tableCounter}`;
  await createAggregatesTable(dynamodb, TableName);
  return TableName;
}

function dependencies(tableName: string) {
  return {
    store: new DynamoAggregateStore(dynamodb, tableName),
    rejects: { write: async () => undefined },
    metrics: compileMetrics(config),
    groups: new DynamoGroupRegistry(dynamodb, tableName),
    catalog: webShopCatalog,
    maxLatenessMs: 86_400_000,
    maxFutureSkewMs: 300_000,
    logger: new Logger({ logLevel: 'SILENT' }),
  };
}

beforeAll(async () => {
  emulators = await startEmulators({ host: '127.0.0.1', ports: { dynamodb: 0 } });
  dynamodb = createAwsClients(
    {
      dynamodb: `http://127.0.0.1:${emulators.ports.dynamodb}`,
      kinesis: 'http://127.0.0.1:1',
      s3: 'http://127.0.0.1:1',
    },
    'us-east-1',
  ).dynamodb;
});

afterAll(async () => {
  await emulators?.stop();
});

describe('aggregate flush on DynamoDB (dynalite)', () => {
  const next = sampleEventGenerator({ source: 'flush-test' });
  const events = Array.from({ length: 300 }, next);

  it('counts a batch once when the same batch is delivered twice', async () => {
    // Prepare
    const table = await newTable();
    const deps = dependencies(table);
    // Act
    await aggregateKinesisBatch(batchOf(events, 1), deps);
    await aggregateKinesisBatch(batchOf(events, 1), deps);
    // Assess
    expectMatchesGroundTruth(
      await readAggregates(dynamodb, table),
      expectedAggregates(config, events),
    );
  });

  it('applies only the new records when a replay overlaps what was already applied', async () => {
    // Prepare
    const table = await newTable();
    const deps = dependencies(table);
    // Act: records 1-200, then a replay from record 101 that also carries 201-300
    await aggregateKinesisBatch(batchOf(events.slice(0, 200), 1), deps);
    await aggregateKinesisBatch(batchOf(events.slice(100), 101), deps);
    // Assess
    expectMatchesGroundTruth(
      await readAggregates(dynamodb, table),
      expectedAggregates(config, events),
    );
  });

  it('keeps the counts of two shards apart when both write the same aggregate', async () => {
    // Prepare
    const table = await newTable();
    const deps = dependencies(table);
    // Act: the same sequence numbers on two shards are different records
    await Promise.all([
      aggregateKinesisBatch(batchOf(events.slice(0, 150), 1, TEST_SHARD_ID), deps),
      aggregateKinesisBatch(batchOf(events.slice(150), 1, 'shardId-000000000001'), deps),
    ]);
    // Assess
    const stored = await readAggregates(dynamodb, table);
    for (const [key, want] of expectedAggregates(config, events))
      expect(stored.get(key)?.count, key).toBe(want.count);
  });
});
