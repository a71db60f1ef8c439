import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DedupeClaim, EventDeduper } from '../../core/aggregates/EventDeduper.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { aggregateKinesisBatch } from '../../functions/aggregate/aggregateKinesisBatch.js';
import { DynamoEventDeduper } from '../../functions/aggregate/DynamoEventDeduper.js';
import type { RunningEmulators } from '../../local/emulators/startEmulators.js';
import { createAggregatesTable } from '../../local/provisionResources.js';
import { batchOfEvents, dynamoHandlerDependencies } from '../helpers/dynamoHandler.js';
import { sampleEvent } from '../helpers/events.js';
import { startTestEmulators } from '../helpers/testEmulators.js';
import { expectedAggregates, expectMatchesGroundTruth } from './groundTruth.js';
import { readAggregates } from './readAggregates.js';

const config = loadConfig({ events: { dedupeWindow: '1d' } });
const now = Date.now();
const time = new Date(now - 60_000).toISOString();
const EVENTS_PER_RECORD = 25;
/** 1,000 distinct purchases. */
const originals: StreamfoldEvent[] = Array.from({ length: 1_000 }, (_, i) =>
  sampleEvent('purchase', {
    time,
    data: { orderId: `o-${i}`, amount: 1 + (i % 97), country: i % 2 ? 'DE' : 'FR' },
  }),
);

let emulators: RunningEmulators;
let dynamodb: Awaited<ReturnType<typeof startTestEmulators>>['clients']['dynamodb'];
let tables = 0;

const batchOf = (events: readonly StreamfoldEvent[], first: number, shardId: string) =>
  batchOfEvents(events, first, EVENTS_PER_RECORD, shardId);

const dependencies = (tableName: string, deduper: EventDeduper) =>
  dynamoHandlerDependencies(dynamodb, tableName, config, { now, deduper });

async function newTable(): Promise<string> {
  const tableName = `dedupe-test-${++tables}`;
  await createAggregatesTable(dynamodb, tableName);
  return tableName;
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

describe('dedupe by event id', () => {
  it('counts each id once across producer copies, replays and shards', async () => {
    // Prepare: copies of 300 events in later records of the same shard and in another shard
    const tableName = await newTable();
    const deps = dependencies(tableName, new DynamoEventDeduper(dynamodb, tableName, 86_400_000));
    const first = batchOf(originals, 1, 'shardId-000000000000');
    const copies = batchOf(originals.slice(100, 300), 500, 'shardId-000000000000');
    const otherShard = batchOf(originals.slice(200, 400), 1, 'shardId-000000000001');

    // Act: the first batch twice (a whole-batch retry), then the copies
    const results = [];
    for (const batch of [first, first, copies, otherShard])
      results.push(await aggregateKinesisBatch(batch, deps));

    // Assess
    expect(results.map((r) => r.response.batchItemFailures)).toEqual([[], [], [], []]);
    expect(results.map((r) => r.summary.eventsDuplicate)).toEqual([0, 0, 200, 200]);
    const stored = await readAggregates(dynamodb, tableName);
    expectMatchesGroundTruth(stored, expectedAggregates(config, originals));
  });

  it('replays from a record whose claim failed and still counts every event once', async () => {
    // Prepare: claims of one id fail once (throttling), in record 20 of 40
    const tableName = await newTable();
    const real = new DynamoEventDeduper(dynamodb, tableName, 86_400_000);
    const unlucky = originals[20 * EVENTS_PER_RECORD + 3]?.id;
    let failures = 0;
    const flaky: EventDeduper = {
      claim: async (claims: readonly DedupeClaim[]) => {
        const outcomes = await real.claim(claims);
        return outcomes.map((outcome, i) => {
          if (claims[i]?.id !== unlucky || failures > 0) return outcome;
          failures++;
          return { error: new Error('ProvisionedThroughputExceededException') };
        });
      },
    };
    const deps = dependencies(tableName, flaky);
    const batch = batchOf(originals, 1, 'shardId-000000000000');

    // Act
    const firstTry = await aggregateKinesisBatch(batch, deps);
    const failedAt = firstTry.response.batchItemFailures[0]?.itemIdentifier;
    const replay = batchOf(originals.slice(20 * EVENTS_PER_RECORD), 21, 'shardId-000000000000');
    const secondTry = await aggregateKinesisBatch(replay, deps);

    // Assess
    expect(failedAt).toBe(batch.Records[20]?.kinesis.sequenceNumber);
    expect(secondTry.response.batchItemFailures).toEqual([]);
    const stored = await readAggregates(dynamodb, tableName);
    expectMatchesGroundTruth(stored, expectedAggregates(config, originals));
  });
});
