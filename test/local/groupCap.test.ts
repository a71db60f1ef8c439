import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTHER_GROUP } from '../../core/aggregates/GroupRegistry.js';
import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { createAwsClients } from '../../local/awsClients.js';
import { type RunningEmulators, startEmulators } from '../../local/emulators/startEmulators.js';
import { createAggregatesTable } from '../../local/provisionResources.js';
import { batchOfEvents, dynamoHandler } from '../helpers/dynamoHandler.js';
import { sampleEvent } from '../helpers/events.js';
import { TEST_SHARD_ID } from '../helpers/kinesisStreamEvent.js';
import { expectedAggregates, expectMatchesGroundTruth } from './groundTruth.js';
import { readAggregates } from './readAggregates.js';

const CAP = 100;
const GROUPS = 5_000;
const EVENTS_PER_RECORD = 50;
const base = loadConfig();
/** Only the capped metric, in one window, so the test writes few items. */
const config: StreamfoldConfig = {
  ...base,
  metrics: [
    {
      name: 'cart_quantity',
      on: 'add_to_cart',
      value: 'data.quantity',
      groupBy: ['data.category'],
      maxGroups: CAP,
      stats: ['count', 'sum'],
      windows: ['1h'],
    },
  ],
};
const now = Date.now();
const time = new Date(now - 60_000).toISOString();
/** 5,000 distinct categories, each seen twice (the second time in a later record). */
const events: StreamfoldEvent[] = Array.from({ length: 2 * GROUPS }, (_, i) =>
  sampleEvent('add_to_cart', {
    time,
    data: { category: `cat-${i % GROUPS}`, quantity: 1 + (i % 7) },
  }),
);

let emulators: RunningEmulators;
let dynamodb: ReturnType<typeof createAwsClients>['dynamodb'];
let tableCounter = 0;

/** Records of 50 events each; record `k` gets sequence number `first + k`. */
const batchOf = (slice: readonly StreamfoldEvent[], first: number, shardId = TEST_SHARD_ID) =>
  batchOfEvents(slice, first, EVENTS_PER_RECORD, shardId);

/** A handler instance as after a cold start (its own registry cache) that must not fail. */
function handlerFor(tableName: string) {
  const handle = dynamoHandler(dynamodb, tableName, config, { now });
  return async (batch: KinesisStreamEvent) => {
    const { response } = await handle(batch);
    expect(response.batchItemFailures).toEqual([]);
  };
}

async function newTable(): Promise<string> {
  const tableName = `cap-test-${++tableCounter}`;
  await createAggregatesTable(dynamodb, tableName);
  return tableName;
}

function totals(stored: Map<string, { count: number; sum: string | undefined }>) {
  let count = 0;
  let sum = 0;
  const groups = new Set<string>();
  for (const [key, item] of stored) {
    count += item.count;
    // Whole quantities: their sums are exact as numbers too.
    sum += Number(item.sum ?? 0);
    groups.add(key.slice(0, key.indexOf('|')));
  }
  return { count, sum, groups };
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

describe('group cardinality cap on DynamoDB (dynalite)', () => {
  const wantCount = events.length;
  const wantSum = events.reduce((s, e) => s + (e.data as { quantity: number }).quantity, 0);

  it('keeps 100 of 5,000 groups plus __other__, exactly as the ground truth, through a replay and a restart', async () => {
    // Prepare
    const table = await newTable();
    const first = handlerFor(table);
    // Act: two batches, then the second replayed by a freshly started handler
    await first(batchOf(events.slice(0, GROUPS), 1));
    await first(batchOf(events.slice(GROUPS), 1_001));
    await handlerFor(table)(batchOf(events.slice(GROUPS), 1_001));
    // Assess
    const stored = await readAggregates(dynamodb, table);
    const { count, sum, groups } = totals(stored);
    expect(groups.size).toBe(CAP + 1);
    expect(groups.has(`cart_quantity#${OTHER_GROUP}`)).toBe(true);
    expect(count).toBe(wantCount);
    expect(sum).toBe(wantSum);
    expectMatchesGroundTruth(stored, expectedAggregates(config, events));
  });

  it('holds the cap with exact totals when two shards admit groups at the same time', async () => {
    // Prepare
    const table = await newTable();
    const [a, b] = [handlerFor(table), handlerFor(table)];
    // Act: each shard carries half the events; shard 0's batch is then replayed
    await Promise.all([
      a(batchOf(events.slice(0, GROUPS), 1, 'shardId-000000000000')),
      b(batchOf(events.slice(GROUPS), 1, 'shardId-000000000001')),
    ]);
    await b(batchOf(events.slice(0, GROUPS), 1, 'shardId-000000000000'));
    // Assess
    const { count, sum, groups } = totals(await readAggregates(dynamodb, table));
    expect(groups.size).toBeLessThanOrEqual(CAP + 1);
    expect(groups.has(`cart_quantity#${OTHER_GROUP}`)).toBe(true);
    expect(count).toBe(wantCount);
    expect(sum).toBe(wantSum);
  });
});
