import { describe, expect, it } from 'vitest';
import { emptyChaosCounters } from '../../local/chaos/chaosFaults.js';
import {
  PipelineHealthHistory,
  type PipelineHealthReading,
} from '../../local/PipelineHealthHistory.js';

const START_MS = Date.parse('2026-11-29T10:00:00.000Z');

/** A reading with nothing happened yet; tests change what they look at. */
function reading(overrides: Partial<PipelineHealthReading> = {}): PipelineHealthReading {
  return {
    produced: 0,
    folded: 0,
    rejectedByCode: {},
    sentToOnFailure: 0,
    iteratorLagMsByShard: { 'shardId-000000000000': 0 },
    newestArchiveAtMs: undefined,
    eventsOverGroupCap: 0,
    fullGroupCaps: [],
    faults: undefined,
    ...overrides,
  };
}

/** A history over readings the test sets, on a clock the test moves. */
function historyOver(capacity?: number) {
  let nowMs = START_MS;
  let current = reading();
  const history = new PipelineHealthHistory({
    read: () => current,
    now: () => nowMs,
    ...(capacity === undefined ? {} : { capacity }),
  });
  return {
    history,
    sample(next: PipelineHealthReading, afterMs = 1_000) {
      nowMs += afterMs;
      current = next;
      history.record();
    },
  };
}

describe('PipelineHealthHistory', () => {
  it('keeps the rates over each interval and no rate for the first sample', () => {
    // Prepare
    const { history, sample } = historyOver();

    // Act: 0, then 250 produced and 240 folded in 1 s, then 500 more produced in 2 s
    sample(reading());
    sample(reading({ produced: 250, folded: 240 }));
    sample(reading({ produced: 750, folded: 740 }), 2_000);

    // Assess
    const { samples, totals } = history.answer();
    expect(samples.map((s) => [s.producedPerSecond, s.foldedPerSecond])).toEqual([
      [null, null],
      [250, 240],
      [250, 250],
    ]);
    expect(samples.map((s) => s.at)).toEqual([
      '2026-11-29T10:00:01.000Z',
      '2026-11-29T10:00:02.000Z',
      '2026-11-29T10:00:04.000Z',
    ]);
    expect(totals).toEqual({
      produced: 750,
      folded: 740,
      rejectedByCode: {},
      sentToOnFailure: 0,
      eventsOverGroupCap: 0,
    });
  });

  it('gives rejects per second by code, leaving out codes with none in the interval', () => {
    const { history, sample } = historyOver();

    sample(reading({ rejectedByCode: { malformed_json: 2 } }));
    sample(reading({ rejectedByCode: { malformed_json: 5, schema_violation: 4 } }));
    sample(reading({ rejectedByCode: { malformed_json: 5, schema_violation: 6 } }), 2_000);

    expect(history.answer().samples.map((s) => s.rejectedPerSecondByCode)).toEqual([
      {},
      { malformed_json: 3, schema_violation: 4 },
      { schema_violation: 1 },
    ]);
  });

  it('does not count a reader that hands out the same live object as no change', () => {
    // Prepare: one object the pipeline keeps adding to, as processingTotals is
    const live = reading({ rejectedByCode: { malformed_json: 1 } });
    let nowMs = START_MS;
    const history = new PipelineHealthHistory({ read: () => live, now: () => nowMs });

    // Act
    history.record();
    (live.rejectedByCode as Record<string, number>).malformed_json = 4;
    live.folded = 10;
    nowMs += 1_000;
    history.record();

    // Assess
    const last = history.answer().samples.at(-1);
    expect(last?.rejectedPerSecondByCode).toEqual({ malformed_json: 3 });
    expect(last?.foldedPerSecond).toBe(10);
  });

  it('reports the lag of each shard, the archive age and the full group caps', () => {
    const { history, sample } = historyOver();

    sample(reading());
    sample(
      reading({
        iteratorLagMsByShard: { 'shardId-000000000000': 1_500, 'shardId-000000000001': 0 },
        newestArchiveAtMs: START_MS + 500,
        eventsOverGroupCap: 30,
        fullGroupCaps: ['revenue'],
        sentToOnFailure: 7,
      }),
    );

    const last = history.answer().samples.at(-1);
    expect(last).toMatchObject({
      iteratorLagMsByShard: { 'shardId-000000000000': 1_500, 'shardId-000000000001': 0 },
      archiveAgeMs: 1_500,
      eventsOverGroupCapPerSecond: 30,
      fullGroupCaps: ['revenue'],
      sentToOnFailure: 7,
    });
    expect(history.answer().samples[0]?.archiveAgeMs).toBeNull();
  });

  it('keeps the faults injected and says it runs with chaos only when there are any counters', () => {
    const { history, sample } = historyOver();
    expect(history.answer()).toMatchObject({ chaos: false, totals: null, samples: [] });

    sample(reading({ faults: { ...emptyChaosCounters(), handlerCrashes: 2 } }));

    const answer = history.answer();
    expect(answer.chaos).toBe(true);
    expect(answer.samples[0]?.faults?.handlerCrashes).toBe(2);
    expect(answer.totals?.faults?.handlerCrashes).toBe(2);
  });

  it('keeps at most capacity samples, dropping the oldest', () => {
    const { history, sample } = historyOver(3);

    for (let i = 1; i <= 5; i++) sample(reading({ produced: i * 10 }));

    const { samples, capacity } = history.answer();
    expect(capacity).toBe(3);
    expect(samples.map((s) => s.at)).toEqual([
      '2026-11-29T10:00:03.000Z',
      '2026-11-29T10:00:04.000Z',
      '2026-11-29T10:00:05.000Z',
    ]);
  });

  it.each([
    [{ intervalMs: 0 }, 'intervalMs must be greater than 0 (given 0)'],
    [{ capacity: 1 }, 'capacity must be an integer of at least 2 (given 1)'],
    [{ capacity: 2.5 }, 'capacity must be an integer of at least 2 (given 2.5)'],
  ])('refuses %o', (options, message) => {
    expect(() => new PipelineHealthHistory({ read: () => reading(), ...options })).toThrow(message);
  });
});
