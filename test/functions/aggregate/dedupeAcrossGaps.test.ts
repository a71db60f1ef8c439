import { describe, expect, it } from 'vitest';
import type { FoldableEvent } from '../../../core/aggregates/AggregateFold.js';
import { aggregationSettingsOf, compileMetrics } from '../../../core/aggregates/compileMetrics.js';
import type { LedgerGap, WriteScope } from '../../../core/aggregates/ShardLedger.js';
import { sequenceOrderKey } from '../../../core/aggregates/sequenceOrder.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import { aggregateKinesisBatch } from '../../../functions/aggregate/aggregateKinesisBatch.js';
import {
  type AttemptTracker,
  fixedScope,
} from '../../../functions/aggregate/DynamoAttemptTracker.js';
import { sampleEvent } from '../../helpers/events.js';
import {
  expectedFigures,
  fromSequence,
  handlerDeps,
  MemoryDeduper,
} from '../../helpers/handlerFakes.js';
import { kinesisStreamEvent } from '../../helpers/kinesisStreamEvent.js';

/**
 * Events of given-up records (a gap) are counted by the recovery, in the
 * gap's lane; a live replay that starts before the gap leaves them out but
 * still claims their ids, so the copy counted is the first in the stream.
 */

const metrics = compileMetrics(aggregationSettingsOf(loadConfig()));
const NOW = Date.parse('2026-11-22T10:30:00Z');
const TIME = '2026-11-22T10:15:00Z';
const SHARD = 'shardId-000000000000';
const DAY = '1d#2026-11-22T00:00:00.000Z';

const purchase = (country: string, amount: number, id: string): StreamfoldEvent =>
  sampleEvent('purchase', { time: TIME, id, data: { country, amount } });

/** A tracker that puts every batch in lane 1 and reports `gaps`. */
function liveLane(gaps: LedgerGap[]): AttemptTracker {
  const scope: WriteScope = { shardId: SHARD, lane: 1, olderLanes: [], live: true };
  return { begin: async () => ({ scope, gaps, finish: async () => undefined }) };
}

const recovery = fixedScope({ shardId: SHARD, lane: 2, olderLanes: [], live: false });

const foldable = (event: StreamfoldEvent, sequence: string, lineIndex: number): FoldableEvent => ({
  event,
  timeMs: Date.parse(TIME),
  order: sequenceOrderKey(sequence),
  lineIndex,
});

describe('dedupe across a gap', () => {
  it('counts every id once when a replay from before the gap and the recovery both run', async () => {
    // Prepare
    const a = purchase('DE', 1, 'a');
    const b = purchase('FR', 2, 'b');
    const g1 = purchase('DE', 4, 'g1');
    const g2 = purchase('SE', 8, 'g2');
    const c = purchase('DE', 16, 'c');
    const d = purchase('SE', 32, 'd');
    const records = [
      { sequenceNumber: '100', lines: [a, b] },
      { sequenceNumber: '101', lines: [g1] },
      { sequenceNumber: '102', lines: [g2, a] },
      { sequenceNumber: '103', lines: [g1, b, c] },
      { sequenceNumber: '104', lines: [c, d] },
    ];
    const batch = kinesisStreamEvent(records);
    const gaps = [
      { from: sequenceOrderKey('101'), before: sequenceOrderKey('103') },
    ] as LedgerGap[];
    const deps = handlerDeps(metrics, NOW, {
      deduper: new MemoryDeduper(),
      attempts: liveLane(gaps),
    });
    deps.store.failing.add('revenue#country=DE|1m#2026-11-22T10:15:00.000Z');

    // Act: the batch fails on one item, is replayed from 100, then the gap is recovered.
    const first = await aggregateKinesisBatch(batch, deps);
    const replay = await aggregateKinesisBatch(fromSequence(batch, '100'), deps);
    const recovered = await aggregateKinesisBatch(kinesisStreamEvent(records.slice(1, 3)), {
      ...deps,
      attempts: recovery,
    });

    // Assess
    expect(first.response.batchItemFailures).toEqual([{ itemIdentifier: '100' }]);
    expect(replay.response.batchItemFailures).toEqual([]);
    expect(recovered.response.batchItemFailures).toEqual([]);
    expect(deps.store.figures()).toEqual(
      expectedFigures(metrics, [
        foldable(a, '100', 0),
        foldable(b, '100', 1),
        foldable(g1, '101', 0),
        foldable(g2, '102', 0),
        foldable(c, '103', 2),
        foldable(d, '104', 1),
      ]),
    );
  });

  it('counts a later copy of a gap event once, even when the markers expired before the recovery', async () => {
    // Prepare
    const a = purchase('DE', 1, 'a');
    const g1 = purchase('DE', 4, 'g1');
    const records = [
      { sequenceNumber: '100', lines: [a] },
      { sequenceNumber: '101', lines: [g1] },
      { sequenceNumber: '103', lines: [g1] },
    ];
    const gaps = [
      { from: sequenceOrderKey('101'), before: sequenceOrderKey('103') },
    ] as LedgerGap[];
    const deduper = new MemoryDeduper();
    const deps = handlerDeps(metrics, NOW, { deduper, attempts: liveLane(gaps) });

    // Act: the live handler claims g1 at 101 (its first copy) and leaves 103's copy out.
    const live = await aggregateKinesisBatch(kinesisStreamEvent(records), deps);
    deduper.owners.clear();
    const recovered = await aggregateKinesisBatch(kinesisStreamEvent(records.slice(1, 2)), {
      ...deps,
      attempts: recovery,
    });

    // Assess
    expect(live.response.batchItemFailures).toEqual([]);
    expect(live.summary.eventsDuplicate).toBe(1);
    expect(recovered.response.batchItemFailures).toEqual([]);
    expect(deps.store.figures()[`revenue#country=DE|${DAY}`]?.count).toBe(2);
  });
});
