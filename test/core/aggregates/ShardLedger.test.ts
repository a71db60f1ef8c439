import { describe, expect, it } from 'vitest';
import {
  type AttemptStart,
  emptyLedger,
  finishAttempt,
  gapOf,
  isStale,
  laneOfRecord,
  mayHaveSkipped,
  nextOrderKey,
  planAttempt,
  recordGiveUp,
  type ShardLedgerState,
} from '../../../core/aggregates/ShardLedger.js';
import { sequenceOrderKey } from '../../../core/aggregates/sequenceOrder.js';

/** Order key of a small sequence number, for readable tests. */
const o = (n: number) => sequenceOrderKey(String(n));

function start(first: number, last: number, extra: Partial<AttemptStart> = {}): AttemptStart {
  return {
    first: o(first),
    last: o(last),
    now: 1_000_000,
    maxRecordAgeMs: undefined,
    token: `t${first}-${last}`,
    ...extra,
  };
}

/** Runs an attempt to its end: `failedFrom` undefined for success. */
function attempt(
  state: ShardLedgerState,
  first: number,
  last: number,
  failedFrom?: number,
): ShardLedgerState {
  const { state: opened } = planAttempt(state, start(first, last));
  const finished = finishAttempt(opened, `t${first}-${last}`, {
    failedFrom: failedFrom === undefined ? undefined : o(failedFrom),
    last: o(last),
    lastArrivalMs: 999_000,
    now: 1_000_000,
  });
  if (!finished) throw new Error('attempt was not the open one');
  return finished;
}

describe('planAttempt', () => {
  it('keeps lane 0 while batches follow each other', () => {
    // Act
    let state = attempt(emptyLedger(), 1, 10);
    state = attempt(state, 11, 20);
    // Assess
    expect(state).toMatchObject({ lane: 0, gaps: [], done: o(20) });
    expect(state.lanes).toEqual([{ lane: 0, start: o(1), through: o(20) }]);
  });

  it('keeps the lane for a retry from the reported failure and for a replay of finished records', () => {
    // Prepare
    const failed = attempt(emptyLedger(), 1, 10, 5);
    // Act
    const retried = attempt(failed, 5, 10);
    const replayed = planAttempt(retried, start(3, 10));
    // Assess
    expect(retried).toMatchObject({ lane: 0, gaps: [], done: o(10) });
    expect(replayed.gap).toBeUndefined();
    expect(replayed.state.lane).toBe(0);
  });

  it('records a gap and opens a lane when a batch starts after a failed position', () => {
    // Prepare: records 5..10 failed and were given up; the next batch starts at 11.
    const failed = attempt(emptyLedger(), 1, 10, 5);
    // Act
    const { state, gap } = planAttempt(failed, start(11, 20));
    // Assess
    expect(gap).toEqual({ lane: 0, from: o(5), before: o(11) });
    expect(state.lane).toBe(1);
    expect(state.lanes).toEqual([
      { lane: 0, start: o(1), through: o(10) },
      { lane: 1, start: o(11), through: o(20) },
    ]);
  });

  it('treats an attempt that never finished (the function died) as failed from its first record', () => {
    // Prepare: 1..100 opened and never finished; bisected, 1..50 was given up.
    const { state: died } = planAttempt(emptyLedger(), start(1, 100));
    const { state: half } = planAttempt(died, start(1, 50));
    // Act: the mapping moves on to the second half.
    const { state, gap } = planAttempt(half, start(51, 100));
    // Assess: the second half may have been absorbed by the first attempt in lane 0.
    expect(gap).toEqual({ lane: 0, from: o(1), before: o(51) });
    expect(state.lanes.find((l) => l.lane === 0)?.through).toBe(o(100));
  });

  it('records a gap of untried records only when the stream says some were skipped', () => {
    // Prepare: 1..10 finished; its last record is older than maxRecordAge now.
    const done = attempt(emptyLedger(), 1, 10);
    const late = start(30, 40, { maxRecordAgeMs: 60_000, now: 999_000 + 60_001 });
    // Act
    const unchecked = mayHaveSkipped(done, late);
    const contiguous = planAttempt(done, late, 'contiguous');
    const skipped = planAttempt(done, late, 'skipped');
    // Assess
    expect(unchecked).toBe(true);
    expect(contiguous.gap).toBeUndefined();
    expect(skipped.gap).toEqual({ lane: 0, from: o(11), before: o(30) });
  });

  it('suspects untraced give-ups after a silence as long as an unreachable ledger is retried', () => {
    // Prepare: 1..10 finished at t = 1,000,000; invocations retry the ledger for 10 s.
    const done = attempt(emptyLedger(), 1, 10);
    const startingAfter = (ms: number) =>
      start(30, 40, { now: 1_000_000 + ms, untracedGiveUpMs: 10_000 });
    // Assess
    expect(mayHaveSkipped(done, startingAfter(9_999))).toBe(false);
    expect(mayHaveSkipped(done, startingAfter(10_000))).toBe(true);
  });

  it('does not suspect skipped records while the last finished record is young', () => {
    const done = attempt(emptyLedger(), 1, 10);
    expect(
      mayHaveSkipped(done, start(11, 20, { maxRecordAgeMs: 3_600_000, now: 999_000 + 60_000 })),
    ).toBe(false);
    expect(mayHaveSkipped(done, start(11, 20, { maxRecordAgeMs: undefined }))).toBe(false);
  });
});

describe('isStale', () => {
  it('leaves the ledger to the newest invocation when an older one begins late', () => {
    // Prepare: invocation A (started at 100) times out before it begins; B (at 200) begins.
    const { state } = planAttempt(emptyLedger(), start(1, 10, { invokedAtMs: 200 }));
    // Assess
    expect(isStale(state, start(1, 10, { invokedAtMs: 100 }))).toBe(true);
    expect(isStale(state, start(1, 10, { invokedAtMs: 300 }))).toBe(false);
  });

  it('never takes a batch that starts after the open attempt for a late starter', () => {
    // B (11..20) starts in a container whose clock is behind the one that opened 1..10.
    const { state } = planAttempt(emptyLedger(), start(1, 10, { invokedAtMs: 200 }));
    expect(isStale(state, start(11, 20, { invokedAtMs: 150 }))).toBe(false);
  });

  it('treats a replay of finished records as stale, so it cannot hide a later failure', () => {
    const done = attempt(emptyLedger(), 1, 10);
    expect(isStale(done, start(3, 10))).toBe(true);
    expect(isStale(done, start(3, 11))).toBe(false);
  });
});

describe('finishAttempt', () => {
  it('never moves done backwards', () => {
    const done = attempt(emptyLedger(), 1, 20);
    const { state } = planAttempt(done, start(5, 25));
    const finished = finishAttempt(state, 't5-25', {
      failedFrom: undefined,
      last: o(25),
      lastArrivalMs: 0,
      now: 2,
    });
    expect(finished?.done).toBe(o(25));
  });

  it('ignores the end of an attempt a newer one has replaced (a timed-out invocation)', () => {
    // Prepare
    const { state: first } = planAttempt(emptyLedger(), start(1, 10));
    const { state: second } = planAttempt(first, { ...start(1, 10), token: 'retry' });
    // Act
    const late = finishAttempt(second, 't1-10', {
      failedFrom: undefined,
      last: o(10),
      lastArrivalMs: 0,
      now: 1,
    });
    // Assess
    expect(late).toBeUndefined();
  });
});

describe('recordGiveUp', () => {
  it('records the gap of an on-failure batch the handler has not moved past yet', () => {
    // Prepare
    const failed = attempt(emptyLedger(), 1, 10, 5);
    // Act
    const state = recordGiveUp(failed, {
      first: o(5),
      last: o(10),
      lastArrivalMs: 990_000,
      now: 1_000_000,
    });
    // Assess
    expect(state?.gaps).toEqual([{ lane: 0, from: o(5), before: o(11) }]);
    expect(state?.lane).toBe(1);
    // The next live batch continues in the new lane without another gap.
    const next = planAttempt(state as ShardLedgerState, start(11, 20));
    expect(next.gap).toBeUndefined();
    expect(next.state.lane).toBe(1);
  });

  it('records untried records after the last finished one as a gap of the live lane', () => {
    // Prepare: 1..10 finished; 11..15 expired untried, and the recovery comes first.
    const done = attempt(emptyLedger(), 1, 10);
    // Act
    const state = recordGiveUp(done, { first: o(11), last: o(15), lastArrivalMs: 5, now: 6 });
    // Assess
    expect(state?.gaps).toEqual([{ lane: 0, from: o(11), before: o(16) }]);
    expect(state).toMatchObject({ lane: 1, done: o(15) });
    expect(
      recordGiveUp(done, { first: o(3), last: o(10), lastArrivalMs: 5, now: 6 }),
    ).toBeUndefined();
  });

  it('changes nothing for records already in a gap', () => {
    const failed = attempt(emptyLedger(), 1, 10, 5);
    const { state } = planAttempt(failed, start(11, 20));
    expect(
      recordGiveUp(state, { first: o(5), last: o(10), lastArrivalMs: 0, now: 1 }),
    ).toBeUndefined();
    expect(gapOf(state, o(7))?.lane).toBe(0);
    expect(gapOf(state, o(11))).toBeUndefined();
  });
});

describe('laneOfRecord', () => {
  it('is the gap lane for given-up records and the lane live when tried for the others', () => {
    // Prepare: 1..10 failed from 5 in lane 0, given up; 11..20 in lane 1.
    const failed = attempt(emptyLedger(), 1, 10, 5);
    const { state } = planAttempt(failed, start(11, 20));
    // Assess
    expect(laneOfRecord(state, o(3))).toBe(0);
    expect(laneOfRecord(state, o(7))).toBe(0);
    expect(laneOfRecord(state, o(15))).toBe(1);
  });

  it('keeps the arrival time of the last given-up record when the recovery records the gap', () => {
    const failed = attempt(emptyLedger(), 1, 10, 5);
    const state = recordGiveUp(failed, {
      first: o(5),
      last: o(10),
      lastArrivalMs: 123,
      now: 456,
    });
    expect(state).toMatchObject({ doneArrivalMs: 123, updatedAtMs: 456 });
  });
});

describe('nextOrderKey', () => {
  it('is the order key of the next sequence number, growing in length', () => {
    expect(nextOrderKey(o(41))).toBe(o(42));
    expect(nextOrderKey(o(999))).toBe(o(1000));
    expect(o(999) < nextOrderKey(o(999))).toBe(true);
  });
});
