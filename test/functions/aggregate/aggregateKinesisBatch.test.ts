import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import type { AggregateDelta } from '../../../core/aggregates/AggregateFold.js';
import { aggregationSettingsOf, compileMetrics } from '../../../core/aggregates/compileMetrics.js';
import { InMemoryGroupRegistry } from '../../../core/aggregates/InMemoryGroupRegistry.js';
import type { WriteScope } from '../../../core/aggregates/ShardLedger.js';
import { encodeEventLine, unpackRecord } from '../../../core/codec/ndjsonCodec.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import {
  type AggregateDependencies,
  type AggregateStore,
  aggregateKinesisBatch,
} from '../../../functions/aggregate/aggregateKinesisBatch.js';
import type { ApplyOutcome } from '../../../functions/aggregate/DynamoAggregateStore.js';
import type { RejectEntry, RejectsSink } from '../../../functions/aggregate/RejectsSink.js';
import { aggregateWithReference } from '../../helpers/awsKinesisAgg.js';
import { sampleEvent } from '../../helpers/events.js';
import { kinesisStreamEvent, TEST_SHARD_ID } from '../../helpers/kinesisStreamEvent.js';
import { corruptedKplRecordData, kplRecordData } from '../../helpers/kplRecords.js';

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
    scope: WriteScope,
    refold: (delta: AggregateDelta, afterOrder: string) => AggregateDelta | undefined,
  ): Promise<ApplyOutcome> {
    const key = `${delta.pk}|${delta.sk}`;
    if (this.failing.delete(key)) throw new Error(`throttled on ${key}`);
    const item = this.items.get(key) ?? { count: 0, sum: 0, watermarks: new Map() };
    const { shardId } = scope;
    const watermark = item.watermarks.get(shardId);
    let pending: AggregateDelta | undefined = delta;
    if (watermark !== undefined && watermark >= delta.firstOrder) {
      pending = watermark >= delta.lastOrder ? undefined : refold(delta, watermark);
    }
    if (!pending) return 'already-applied';
    item.count += pending.count;
    // The test's amounts are exact in binary, so the delta's decimal sum adds exactly as a number.
    item.sum += Number(pending.sum);
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
    groups: new InMemoryGroupRegistry(),
    catalog: webShopCatalog,
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

  describe.each([
    { encoder: 'KplRecordBuilder', encode: (groups: StreamfoldEvent[][]) => kplRecordData(groups) },
    {
      encoder: 'aws-kinesis-agg',
      encode: (groups: StreamfoldEvent[][]) =>
        aggregateWithReference(
          groups.map((events) => ({
            partitionKey: 'web-shop',
            data: Buffer.concat(events.map(encodeEventLine)),
          })),
        ),
    },
  ])('with KPL aggregated records from $encoder', ({ encode }) => {
    it('folds the same aggregates as from NDJSON records holding the same events', async () => {
      // Prepare: two records of two and three user records, each of one to three events
      const countries = ['DE', 'FR', 'DE', 'SE', 'FR', 'DE', 'SE', 'DE', 'FR', 'DE', 'SE'];
      const events = countries.map((country, i) => purchase(country, i + 0.5));
      events.push(sampleEvent('page_view', { time: EVENT_TIME }));
      const groups = [[0, 1], [2, 3, 4], [5], [6, 7], [8, 9, 10, 11]].map((indexes) =>
        indexes.map((i) => events[i] as StreamfoldEvent),
      );
      const ndjsonStore = new InMemoryAggregateStore();
      await aggregateKinesisBatch(
        kinesisStreamEvent([
          { sequenceNumber: '1', lines: groups.slice(0, 2).flat() },
          { sequenceNumber: '2', lines: groups.slice(2).flat() },
        ]),
        dependencies(ndjsonStore, new RecordingRejectsSink()),
      );
      const store = new InMemoryAggregateStore();
      const rejects = new RecordingRejectsSink();
      const batch = kinesisStreamEvent([
        { sequenceNumber: '1', data: encode(groups.slice(0, 2)) },
        { sequenceNumber: '2', data: encode(groups.slice(2)) },
      ]);

      // Act
      const { response, summary } = await aggregateKinesisBatch(
        batch,
        dependencies(store, rejects),
      );

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(rejects.written).toEqual([]);
      expect(revenueOf(store)).toEqual(expectedRevenue(events));
      expect(store.items).toEqual(ndjsonStore.items);
      expect(summary).toMatchObject({ records: 2, eventsFolded: events.length, eventsRejected: 0 });
    });

    it('numbers rejected lines across user records so each reject points at its line', async () => {
      // Prepare: the bad event is the second line of the second user record
      const bad = sampleEvent('purchase', { time: EVENT_TIME, data: { amount: -1 } });
      const good = [purchase('DE', 1), purchase('DE', 2), purchase('FR', 3)];
      const data = encode([
        [good[0] as StreamfoldEvent],
        [good[1] as StreamfoldEvent, bad, good[2] as StreamfoldEvent],
      ]);
      const store = new InMemoryAggregateStore();
      const rejects = new RecordingRejectsSink();

      // Act
      await aggregateKinesisBatch(
        kinesisStreamEvent([{ sequenceNumber: '5', data }]),
        dependencies(store, rejects),
      );

      // Assess
      expect(rejects.written).toMatchObject([
        {
          reason: { code: 'schema_violation' },
          sequenceNumber: '5',
          lineIndex: 2,
          raw: JSON.stringify(bad),
        },
      ]);
      expect(revenueOf(store)).toEqual(expectedRevenue(good));
    });
  });

  it('rejects every line of a corrupt aggregate and folds the records around it', async () => {
    // Prepare: the corrupt aggregate's inner lines are intact JSON events that would parse as plain data
    const store = new InMemoryAggregateStore();
    const rejects = new RecordingRejectsSink();
    const before = [purchase('DE', 1), purchase('FR', 2)];
    const lost = [purchase('DE', 100), purchase('SE', 200), purchase('FR', 300)];
    const after = [purchase('SE', 4), purchase('DE', 8)];
    const corrupt = corruptedKplRecordData(kplRecordData([lost]));
    const arrivalMs = Date.parse('2026-11-22T10:29:00Z');
    const batch = kinesisStreamEvent([
      { sequenceNumber: '10', lines: before },
      { sequenceNumber: '11', data: corrupt, arrivalMs },
      {
        sequenceNumber: '12',
        data: kplRecordData([[after[0] as StreamfoldEvent], [after[1] as StreamfoldEvent]]),
      },
    ]);

    // Act
    const { response, summary } = await aggregateKinesisBatch(batch, dependencies(store, rejects));

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(revenueOf(store)).toEqual(expectedRevenue([...before, ...after]));
    const plainLines = unpackRecord(corrupt);
    expect(plainLines).toContain(JSON.stringify(lost[1])); // intact, yet refused with its record
    // Every line is refused with the same reason: one entry quotes the first and counts the rest.
    const last = plainLines.length - 1;
    expect(rejects.written).toHaveLength(1);
    const [entry] = rejects.written;
    expect(entry).toMatchObject({
      reason: { code: 'malformed_aggregate' },
      shardId: TEST_SHARD_ID,
      sequenceNumber: '11',
      lineIndex: 0,
      raw: plainLines[0],
      arrivalTime: '2026-11-22T10:29:00.000Z',
      omitted: { lines: last, throughLineIndex: last, byCode: { malformed_aggregate: last } },
      note: `${last} more lines refused with the same reason`,
    });
    expect(entry?.reason.message).toContain('KPL aggregated-record magic F3 89 9A C2');
    expect(entry?.reason.message).toContain('MD5 checksum mismatch');
    expect(summary).toMatchObject({
      eventsFolded: before.length + after.length,
      eventsRejected: plainLines.length,
      eventsRejectedByCode: { malformed_aggregate: plainLines.length },
      failedRecords: 0,
    });
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
      eventsRejectedByCode: {},
      eventsDuplicate: 0,
      itemsApplied: 0,
      itemsAlreadyApplied: 0,
      itemsFailed: 0,
      failedRecords: 0,
      eventsRefusedByStore: 0,
      eventsOverGroupCap: 0,
      cappedMetrics: [],
    });
  });

  it("judges event time against each record's arrival, so every retry decides the same", async () => {
    // Prepare: no pinned clock; records that arrived on 2026-11-22 at 10:30, with events just
    // inside and just outside the 5 min future skew of that arrival.
    const arrivalMs = Date.parse('2026-11-22T10:30:00Z');
    const at = (offsetMs: number) =>
      sampleEvent('purchase', { time: new Date(arrivalMs + offsetMs).toISOString() });
    const inside = at(299_000);
    const outside = at(301_000);
    const batch = kinesisStreamEvent([
      { sequenceNumber: '100', arrivalMs, lines: [inside, outside] },
    ]);
    const outcomes = [];
    // Act: the batch twice, on a clock days past the arrival (as a retry after an outage runs).
    for (let run = 0; run < 2; run++) {
      const store = new InMemoryAggregateStore();
      const rejects = new RecordingRejectsSink();
      const { now: _pinned, ...deps } = dependencies(store, rejects);
      const { summary } = await aggregateKinesisBatch(batch, deps);
      outcomes.push({ folded: summary.eventsFolded, rejected: rejects.written.map((r) => r.raw) });
    }
    // Assess
    expect(outcomes).toEqual([
      { folded: 1, rejected: [JSON.stringify(outside)] },
      { folded: 1, rejected: [JSON.stringify(outside)] },
    ]);
  });
});
