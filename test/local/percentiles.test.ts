import {
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AggregateFold, type FoldableEvent } from '../../core/aggregates/AggregateFold.js';
import { aggregatePartitionKey, aggregateSortKey } from '../../core/aggregates/aggregateKey.js';
import { compileMetrics } from '../../core/aggregates/compileMetrics.js';
import { sequenceOrderKey } from '../../core/aggregates/sequenceOrder.js';
import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { readAggregateSummary } from '../../functions/aggregate/aggregateFiguresOf.js';
import { DynamoAggregateStore } from '../../functions/aggregate/DynamoAggregateStore.js';
import type { RunningEmulators } from '../../local/emulators/startEmulators.js';
import { createAggregatesTable } from '../../local/provisionResources.js';
import { batchOfEvents, dynamoHandler } from '../helpers/dynamoHandler.js';
import { sampleEvent } from '../helpers/events.js';
import { TEST_SHARD_ID } from '../helpers/kinesisStreamEvent.js';
import { seededRandom } from '../helpers/seededRandom.js';
import { startTestEmulators } from '../helpers/testEmulators.js';
import { expectedAggregates } from './groundTruth.js';
import { readAggregates, type StoredAggregate } from './readAggregates.js';

const OTHER_SHARD_ID = 'shardId-000000000001';
const EVENTS_PER_RECORD = 10;
const now = Date.now();
const time = new Date(now - 60_000).toISOString();

/** Revenue only, in one window, with percentiles: few items, each with a wide histogram. */
const config: StreamfoldConfig = {
  ...loadConfig(),
  metrics: [
    {
      name: 'revenue',
      on: 'purchase',
      value: 'data.amount',
      groupBy: ['data.country'],
      maxGroups: 1_000,
      stats: ['count', 'sum', 'min', 'max', 'p50', 'p90', 'p99'],
      windows: ['1h'],
    },
  ],
};

/**
 * 5,000 distinct amounts spread log-uniformly over 9 decades (0.01 .. 10,000,000), shuffled,
 * with 6 decimal places: the handler refuses values with more than 12.
 */
const WIDE_AMOUNTS = (() => {
  // Capped at the schema maximum: 0.01 * 10 ** 9 rounds to just above 1e7.
  const amounts = Array.from({ length: 5_000 }, (_, i) =>
    Math.min(1e7, Math.round(0.01 * 10 ** ((9 * i) / 4_999) * 1e6) / 1e6),
  );
  const random = seededRandom(3);
  for (let i = amounts.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [amounts[i], amounts[j]] = [amounts[j] as number, amounts[i] as number];
  }
  return amounts;
})();
const wideEvents = WIDE_AMOUNTS.map((amount, i) =>
  sampleEvent('purchase', { time, data: { amount, country: i % 10 === 0 ? 'FR' : 'DE' } }),
);

let emulators: RunningEmulators;
let dynamodb: DynamoDBClient;
let tableCounter = 0;

async function newTable(): Promise<string> {
  const name = `percentiles-${++tableCounter}`;
  await createAggregatesTable(dynamodb, name);
  return name;
}

/** Records of 10 events each; record `k` gets sequence number `first + k`. */
const batchOf = (slice: readonly StreamfoldEvent[], first: number, shardId = TEST_SHARD_ID) =>
  batchOfEvents(slice, first, EVENTS_PER_RECORD, shardId);

function handlerFor(tableName: string, client: DynamoDBClient = dynamodb) {
  return dynamoHandler(client, tableName, config, { now });
}

/**
 * A client that counts UpdateItem calls and refuses the ones `refuse` picks
 * with a throttling error: a fault dynalite cannot be told to produce at a
 * given request.
 */
function instrumentedClient(refuse: (input: UpdateItemCommandInput) => boolean = () => false) {
  const counts = { updates: 0, chunkUpdates: 0, refused: 0 };
  const client = {
    send: async (command: Parameters<DynamoDBClient['send']>[0]) => {
      if (command instanceof UpdateItemCommand) {
        counts.updates++;
        const names = Object.values(command.input.ExpressionAttributeNames ?? {});
        if (names.some((name) => name.startsWith('wmh'))) counts.chunkUpdates++;
        if (refuse(command.input)) {
          counts.refused++;
          const error = new Error('Rate of requests exceeds the allowed throughput.');
          error.name = 'ProvisionedThroughputExceededException';
          throw error;
        }
      }
      return dynamodb.send(command as UpdateItemCommand);
    },
  } as unknown as DynamoDBClient;
  return { client, counts };
}

/** Counts, min, max, sums and every histogram bucket count exactly as the ground truth. */
function expectExactly(
  stored: Map<string, StoredAggregate>,
  expected: Map<string, StoredAggregate>,
): void {
  expect([...stored.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [key, want] of expected) {
    const got = stored.get(key);
    expect(got?.count, key).toBe(want.count);
    expect(got?.min, key).toBe(want.min);
    expect(got?.max, key).toBe(want.max);
    expect(got?.buckets, key).toEqual(want.buckets);
    expect(got?.sum, key).toBe(want.sum);
  }
}

beforeAll(async () => {
  ({
    emulators,
    clients: { dynamodb },
  } = await startTestEmulators({ dynamodb: true }));
});

afterAll(async () => {
  await emulators?.stop();
});

describe('percentile histograms on DynamoDB (dynalite)', () => {
  it('splits a 9-decade histogram into several chunk updates and counts it once when the batch is delivered twice', async () => {
    // Prepare
    const table = await newTable();
    const { client, counts } = instrumentedClient();
    const handle = handlerFor(table, client);
    // Act
    await handle(batchOf(wideEvents, 1));
    const firstDelivery = { ...counts };
    await handle(batchOf(wideEvents, 1));
    // Assess
    const stored = await readAggregates(dynamodb, table);
    expectExactly(stored, expectedAggregates(config, wideEvents));
    const de = stored.get(`revenue#country=DE|1h#${hourOf(time)}`);
    expect(Object.keys(de?.buckets ?? {}).length).toBeGreaterThan(1_000);
    // Two items (DE, FR), each over more than one update.
    expect(firstDelivery.chunkUpdates).toBeGreaterThan(2);
    expect(firstDelivery.updates).toBeGreaterThan(4);
  });

  it('adds only the new records of every chunk when a replay overlaps what was applied', async () => {
    // Prepare
    const table = await newTable();
    const handle = handlerFor(table);
    // Act: records 1-300, then a replay from record 201 that carries 301-500
    await handle(batchOf(wideEvents.slice(0, 3_000), 1));
    await handle(batchOf(wideEvents.slice(2_000), 201));
    // Assess
    expectExactly(await readAggregates(dynamodb, table), expectedAggregates(config, wideEvents));
  });

  it('completes a half-applied item exactly once when a chunk update failed and the batch is replayed', async () => {
    // Prepare: the third update carrying a histogram chunk is throttled
    const table = await newTable();
    let chunkUpdates = 0;
    const { client, counts } = instrumentedClient((input) => {
      const names = Object.values(input.ExpressionAttributeNames ?? {});
      return names.some((name) => name.startsWith('wmh')) && ++chunkUpdates === 3;
    });
    const handle = handlerFor(table, client);
    const batch = batchOf(wideEvents, 1);
    // Act
    const { response } = await handle(batch);
    const failedAt = response.batchItemFailures[0]?.itemIdentifier;
    const from = batch.Records.findIndex((r) => r.kinesis.sequenceNumber === failedAt);
    const partial = await readAggregates(dynamodb, table);
    await handle({ Records: batch.Records.slice(from) });
    // Assess
    expect(counts.refused).toBe(1);
    expect(from).toBe(0);
    const expected = expectedAggregates(config, wideEvents);
    const key = [...expected.keys()].find((k) => {
      const sum = (b: StoredAggregate | undefined) =>
        Object.values(b?.buckets ?? {}).reduce((a, n) => a + n, 0);
      return sum(partial.get(k)) !== sum(expected.get(k));
    });
    expect(key, 'an item was left half applied by the fault').toBeDefined();
    expectExactly(await readAggregates(dynamodb, table), expected);
  });

  it('keeps the histograms of two shards apart when both write the same items concurrently', async () => {
    // Prepare
    const table = await newTable();
    const handle = handlerFor(table);
    const half = wideEvents.length / 2;
    // Act: each shard delivers its batch twice; the same sequence numbers are different records
    await Promise.all([
      handle(batchOf(wideEvents.slice(0, half), 1, TEST_SHARD_ID)),
      handle(batchOf(wideEvents.slice(half), 1, OTHER_SHARD_ID)),
    ]);
    await Promise.all([
      handle(batchOf(wideEvents.slice(0, half), 1, TEST_SHARD_ID)),
      handle(batchOf(wideEvents.slice(half), 1, OTHER_SHARD_ID)),
    ]);
    // Assess
    expectExactly(await readAggregates(dynamodb, table), expectedAggregates(config, wideEvents));
  });
});

/** Distributions read back through the store, including negative values and zeros. */
const DISTRIBUTIONS: Record<string, (random: () => number) => number> = {
  uniform: (r) => 1_000 * r(),
  log_uniform: (r) => 10 ** (-3 + 9 * r()),
  exponential: (r) => -50 * Math.log(1 - r()),
  log_normal: (r) => Math.exp(3 + 1.5 * normal(r)),
  signed_normal: (r) => 100 * normal(r),
  mostly_zero: (r) => (r() < 0.6 ? 0 : 10 ** (4 * r())),
  constant: () => 42.42,
};

function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

describe('percentile read-back (dynalite)', () => {
  const settings = {
    windows: { '1h': {} },
    metrics: [
      {
        name: 'reading',
        on: 'reading',
        value: 'data.v',
        groupBy: ['data.dist'],
        maxGroups: 1_000,
        stats: ['count' as const, 'sum' as const, 'p50' as const, 'p90' as const, 'p99' as const],
        windows: ['1h'],
      },
    ],
  };
  const hourMs = Date.parse('2026-11-22T10:00:00.000Z');
  const random = seededRandom(99);
  const values = new Map<string, number[]>();
  const items: FoldableEvent[] = [];
  for (const [dist, draw] of Object.entries(DISTRIBUTIONS)) {
    const drawn = Array.from({ length: 2_000 }, () => draw(random));
    values.set(dist, drawn);
    for (const v of drawn) {
      const event: StreamfoldEvent = {
        id: `e${items.length}`,
        type: 'reading',
        time: new Date(hourMs + 1_000).toISOString(),
        source: 'test',
        data: { dist, v },
      };
      items.push({ event, timeMs: hourMs + 1_000, order: sequenceOrderKey(String(items.length)) });
    }
  }

  it.each(Object.keys(DISTRIBUTIONS))(
    'reads p50, p90 and p99 of %s within 1 % of the exact values',
    async (dist) => {
      // Prepare: every distribution folded and applied once per table, then replayed
      const table = `readback-${dist.replaceAll('_', '-')}`;
      await createAggregatesTable(dynamodb, table);
      const store = new DynamoAggregateStore(dynamodb, table);
      const fold = new AggregateFold(compileMetrics(settings));
      for (const item of items)
        if ((item.event.data as { dist: string }).dist === dist) fold.add(item);
      const refold = fold.refold.bind(fold);
      // Act
      for (const delta of fold.deltas()) await store.apply(delta, TEST_SHARD_ID, refold);
      for (const delta of fold.deltas()) await store.apply(delta, TEST_SHARD_ID, refold);
      const { Item } = await dynamodb.send(
        new GetItemCommand({
          TableName: table,
          Key: {
            pk: { S: aggregatePartitionKey('reading', `dist=${dist}`) },
            sk: { S: aggregateSortKey('1h', hourMs) },
          },
        }),
      );
      const summary = readAggregateSummary(Item ?? {});
      // Assess
      const sorted = [...(values.get(dist) ?? [])].sort((a, b) => a - b);
      expect(summary.count).toBe(sorted.length);
      const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
      expect(Math.abs((summary.avg ?? Number.NaN) - mean)).toBeLessThanOrEqual(
        1e-9 * Math.max(1, Math.abs(mean)),
      );
      for (const [stat, q] of [
        ['p50', 0.5],
        ['p90', 0.9],
        ['p99', 0.99],
      ] as const) {
        const exact = sorted[Math.floor(q * (sorted.length - 1))] as number;
        const read = summary[stat] ?? Number.NaN;
        expect(Math.abs(read - exact), `${stat}: read ${read}, exact ${exact}`).toBeLessThanOrEqual(
          0.01 * Math.abs(exact),
        );
      }
    },
  );
});

function hourOf(iso: string): string {
  const ms = Date.parse(iso);
  return new Date(ms - (ms % 3_600_000)).toISOString();
}
