import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import type { AggregateDelta } from '../../../core/aggregates/AggregateFold.js';
import { aggregationSettingsOf, compileMetrics } from '../../../core/aggregates/compileMetrics.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import { eventCatalog } from '../../../core/events/catalog.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import {
  type AggregateDependencies,
  type AggregateStore,
  aggregateKinesisBatch,
} from '../../../functions/aggregate/aggregateKinesisBatch.js';
import type { ApplyOutcome } from '../../../functions/aggregate/DynamoAggregateStore.js';
import type { RejectEntry, RejectsSink } from '../../../functions/aggregate/RejectsSink.js';
import { sampleEvent } from '../../helpers/events.js';
import { kinesisStreamEvent, TEST_SHARD_ID } from '../../helpers/kinesisStreamEvent.js';

const config = loadConfig();
const metrics = compileMetrics(aggregationSettingsOf(config));
const NOW = Date.parse('2026-11-22T10:30:00Z');
const EVENT_TIME = '2026-11-22T10:15:00Z';

interface StoredItem {
  count: number;
  sum: number;
  /** Per shard, the order key of the last record applied. */
  watermarks: Map<string, string>;
}

/**
 * An in-memory store with the same exactly-once rule as DynamoAggregateStore:
 * per item and shard, nothing at or below the watermark is applied twice.
 */
class InMemoryAggregateStore implements AggregateStore {
  public readonly items = new Map<string, StoredItem>();
  public readonly applied: AggregateDelta[] = [];
  /** Items (`pk|sk`) whose next apply throws. */
  public readonly failing = new Set<string>();

  public async apply(
    delta: AggregateDelta,
    shardId: string,
    refold: (delta: AggregateDelta, afterOrder: string) => AggregateDelta | undefined,
  ): Promise<ApplyOutcome> {
    const key = `${delta.pk}|${delta.sk}`;
    if (this.failing.delete(key)) throw new Error(`throttled on ${key}`);
    const item = this.items.get(key) ?? { count: 0, sum: 0, watermarks: new Map() };
    const watermark = item.watermarks.get(shardId);
    let pending: AggregateDelta | undefined = delta;
    if (watermark !== undefined && watermark >= delta.firstOrder) {
      pending = watermark >= delta.lastOrder ? undefined : refold(delta, watermark);
    }
    if (!pending) return 'already-applied';
    item.count += pending.count;
    item.sum += pending.sum;
    item.watermarks.set(shardId, pending.lastOrder);
    this.items.set(key, item);
    this.applied.push(pending);
    return 'applied';
  }
}

class RecordingRejectsSink implements RejectsSink {
  public readonly written: RejectEntry[] = [];
  public fail = false;

  public async write(entries: readonly RejectEntry[]): Promise<void> {
    if (this.fail) throw new Error('S3 unavailable');
    this.written.push(...entries);
  }
}

function dependencies(store: AggregateStore, rejects: RejectsSink): AggregateDependencies {
  return {
    store,
    rejects,
    metrics,
    catalog: eventCatalog,
    maxLatenessMs: 3_600_000,
    maxFutureSkewMs: 300_000,
    logger: new Logger({ logLevel: 'SILENT' }),
    now: () => NOW,
  };
}

function purchase(country: string, amount: number): StreamfoldEvent {
  return sampleEvent('purchase', { time: EVENT_TIME, data: { country, amount } });
}

/** Count and sum per `pk|sk` of the minute window, computed from the events directly. */
function expectedRevenue(
  events: readonly StreamfoldEvent[],
): Map<string, { count: number; sum: number }> {
  const out = new Map<string, { count: number; sum: number }>();
  for (const event of events) {
    if (event.type !== 'purchase') continue;
    const { country, amount } = event.data as { country: string; amount: number };
    const key = `revenue#country=${country}|1m#2026-11-22T10:15:00.000Z`;
    const item = out.get(key) ?? { count: 0, sum: 0 };
    item.count += 1;
    item.sum += amount;
    out.set(key, item);
  }
  return out;
}

function revenueOf(store: InMemoryAggregateStore): Map<string, { count: number; sum: number }> {
  const out = new Map<string, { count: number; sum: number }>();
  for (const [key, { count, sum }] of store.items) {
    if (key.startsWith('revenue#') && key.includes('|1m#')) out.set(key, { count, sum });
  }
  return out;
}

describe('aggregateKinesisBatch', () => {
  it('folds every event into the store when all events are good', async () => {
    // Prepare
    const store = new InMemoryAggregateStore();
    const rejects = new RecordingRejectsSink();
    const events = [
      purchase('DE', 10),
      purchase('FR', 5),
      purchase('DE', 2.5),
      sampleEvent('page_view', { time: EVENT_TIME }),
    ];
    const batch = kinesisStreamEvent([
      { sequenceNumber: '100', lines: events.slice(0, 2) },
      { sequenceNumber: '101', lines: events.slice(2) },
    ]);

    // Act
    const { response, summary } = await aggregateKinesisBatch(batch, dependencies(store, rejects));

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(revenueOf(store)).toEqual(expectedRevenue(events));
    expect(store.items.get('events#type=purchase|1d#2026-11-22T00:00:00.000Z')?.count).toBe(3);
    expect(store.items.get('page_views#device=mobile|1h#2026-11-22T10:00:00.000Z')?.count).toBe(1);
    expect(rejects.written).toEqual([]);
    expect(summary).toMatchObject({
      records: 2,
      eventsFolded: 4,
      eventsRejected: 0,
      itemsFailed: 0,
      failedRecords: 0,
      itemsApplied: store.applied.length,
    });
  });

  it('rejects a bad line with its reason and folds the good lines of the same record', async () => {
    // Prepare
    const store = new InMemoryAggregateStore();
    const rejects = new RecordingRejectsSink();
    const good = [purchase('DE', 10), purchase('DE', 20)];
    const bad = sampleEvent('purchase', { time: EVENT_TIME, data: { amount: -1 } });
    const arrivalMs = Date.parse('2026-11-22T10:29:00Z');
    const batch = kinesisStreamEvent([
      {
        sequenceNumber: '7',
        lines: [good[0] as StreamfoldEvent, '{"broken', bad, good[1] as StreamfoldEvent],
        arrivalMs,
      },
    ]);

    // Act
    const { response, summary } = await aggregateKinesisBatch(batch, dependencies(store, rejects));

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(revenueOf(store)).toEqual(expectedRevenue(good));
    expect(rejects.written).toMatchObject([
      {
        reason: { code: 'malformed_json' },
        shardId: TEST_SHARD_ID,
        sequenceNumber: '7',
        lineIndex: 1,
        raw: '{"broken',
        arrivalTime: '2026-11-22T10:29:00.000Z',
      },
      {
        reason: { code: 'schema_violation', field: 'data.amount' },
        sequenceNumber: '7',
        lineIndex: 2,
        raw: JSON.stringify(bad),
      },
    ]);
    expect(summary).toMatchObject({ eventsFolded: 2, eventsRejected: 2 });
  });

  it('rejects an event with time_out_of_window when it is older than maxLateness', async () => {
    // Prepare
    const store = new InMemoryAggregateStore();
    const rejects = new RecordingRejectsSink();
    const late = sampleEvent('page_view', { time: '2026-11-22T09:29:59Z' });

    // Act
    await aggregateKinesisBatch(
      kinesisStreamEvent([{ sequenceNumber: '1', lines: [late] }]),
      dependencies(store, rejects),
    );

    // Assess
    expect(rejects.written.map((r) => r.reason.code)).toEqual(['time_out_of_window']);
    expect(store.applied).toEqual([]);
  });

  it('reports the record that first contributed to an item when the store fails for it', async () => {
    // Prepare: record 100 only feeds FR; DE is first fed by record 101
    const store = new InMemoryAggregateStore();
    const rejects = new RecordingRejectsSink();
    store.failing.add('revenue#country=DE|1m#2026-11-22T10:15:00.000Z');
    const batch = kinesisStreamEvent([
      { sequenceNumber: '100', lines: [purchase('FR', 1)] },
      { sequenceNumber: '101', lines: [purchase('DE', 2)] },
      { sequenceNumber: '102', lines: [purchase('DE', 3)] },
    ]);

    // Act
    const { response, summary } = await aggregateKinesisBatch(batch, dependencies(store, rejects));

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '101' }]);
    expect(summary).toMatchObject({ itemsFailed: 1, failedRecords: 2 });
  });

  it('reports the first rejected record when the rejects sink fails', async () => {
    // Prepare
    const store = new InMemoryAggregateStore();
    const rejects = new RecordingRejectsSink();
    rejects.fail = true;
    const batch = kinesisStreamEvent([
      { sequenceNumber: '100', lines: [purchase('FR', 1)] },
      { sequenceNumber: '101', lines: [purchase('DE', 2), 'not json'] },
      { sequenceNumber: '102', lines: ['[]'] },
    ]);

    // Act
    const { response, summary } = await aggregateKinesisBatch(batch, dependencies(store, rejects));

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '101' }]);
    expect(summary).toMatchObject({ eventsRejected: 2, failedRecords: 2 });
  });

  it.each([
    { storeFailsAt: '1000', rejectAt: '999', lowest: '999' },
    { storeFailsAt: '999', rejectAt: '1000', lowest: '999' },
  ])(
    'reports sequence $lowest as the lowest numerically when the store fails at $storeFailsAt and rejects at $rejectAt',
    async ({ storeFailsAt, rejectAt, lowest }) => {
      // Prepare: sequence numbers of different lengths, where string order differs from numeric order
      const store = new InMemoryAggregateStore();
      const rejects = new RecordingRejectsSink();
      rejects.fail = true;
      store.failing.add('revenue#country=SE|1m#2026-11-22T10:15:00.000Z');
      const specs = [
        { sequenceNumber: storeFailsAt, lines: [purchase('SE', 1)] },
        { sequenceNumber: rejectAt, lines: ['oops'] },
      ].sort((a, b) => Number(a.sequenceNumber) - Number(b.sequenceNumber));

      // Act
      const { response } = await aggregateKinesisBatch(
        kinesisStreamEvent(specs),
        dependencies(store, rejects),
      );

      // Assess
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: lowest }]);
    },
  );

  it('applies the remainder exactly once when a failed batch is replayed', async () => {
    // Prepare: the first attempt fails on one item; the replay delivers the same records
    const store = new InMemoryAggregateStore();
    const rejects = new RecordingRejectsSink();
    const events = [purchase('DE', 10), purchase('FR', 5), purchase('DE', 7), purchase('FR', 1)];
    const batch = kinesisStreamEvent(
      events.map((event, i) => ({ sequenceNumber: String(98 + i), lines: [event] })),
    );
    store.failing.add('revenue#country=FR|1m#2026-11-22T10:15:00.000Z');
    const first = await aggregateKinesisBatch(batch, dependencies(store, rejects));
    expect(first.response.batchItemFailures).toEqual([{ itemIdentifier: '99' }]);

    // Act: Lambda replays from the reported record, here the whole batch for simplicity
    const replay = await aggregateKinesisBatch(batch, dependencies(store, rejects));

    // Assess
    expect(replay.response.batchItemFailures).toEqual([]);
    expect(revenueOf(store)).toEqual(expectedRevenue(events));
    expect(replay.summary.itemsApplied).toBe(1); // only the FR minute item failed the first time
    expect(replay.summary.itemsAlreadyApplied).toBeGreaterThan(0);
  });

  it('returns no failures and writes nothing when the batch is empty', async () => {
    // Prepare
    const store = new InMemoryAggregateStore();
    const rejects = new RecordingRejectsSink();

    // Act
    const { response, summary } = await aggregateKinesisBatch(
      { Records: [] },
      dependencies(store, rejects),
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(store.applied).toEqual([]);
    expect(rejects.written).toEqual([]);
    expect(summary).toEqual({
      records: 0,
      eventsFolded: 0,
      eventsRejected: 0,
      itemsApplied: 0,
      itemsAlreadyApplied: 0,
      itemsFailed: 0,
      failedRecords: 0,
    });
  });
});
