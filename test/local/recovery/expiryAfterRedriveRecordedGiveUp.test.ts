import { describe, expect, it } from 'vitest';
import {
  emptyLedger,
  finishAttempt,
  mayHaveSkipped,
  planAttempt,
  recordGiveUp,
  type ShardLedgerState,
} from '../../../core/aggregates/ShardLedger.js';
import { sequenceOrderKey } from '../../../core/aggregates/sequenceOrder.js';
import {
  deliver,
  differences,
  eventsOf,
  giveUpDuringIncident,
  newTable,
  putOnFailure,
  redrive,
  seq,
  useHarness,
} from './harness.js';

/**
 * Invariant: records that expire unseen (`RecordAgeExceeded` without ever
 * being tried) are recovered exactly once, even when `npm run redrive` ran
 * before the next live batch and recorded the earlier give-up itself.
 *
 * Scenario: batches are given up during an incident, the mapping is
 * disabled, the recovery runs (and records the gap), the mapping is enabled
 * again more than `maxRecordAge` later and drops its backlog untried. The
 * gap the recovery recorded keeps the arrival time of its last record, so
 * the next batch still looks for records skipped after it.
 */

const o = (n: number) => sequenceOrderKey(seq(n));
const HOUR = 3_600_000;

describe('recordGiveUp', () => {
  it('keeps enough to notice records that expire unseen after the recorded give-up', () => {
    const t0 = 10 * HOUR;
    let state: ShardLedgerState = planAttempt(emptyLedger(), {
      first: o(1),
      last: o(4),
      now: t0,
      maxRecordAgeMs: HOUR,
      token: 'a',
    }).state;
    state = finishAttempt(state, 'a', {
      failedFrom: o(3),
      last: o(4),
      lastArrivalMs: t0,
      now: 0,
    }) as ShardLedgerState;
    state = recordGiveUp(state, {
      first: o(3),
      last: o(4),
      lastArrivalMs: t0,
      now: t0,
    }) as ShardLedgerState;
    // Two hours later the mapping delivers 7..8; 5..6 expired without being tried.
    const later = { first: o(7), last: o(8), now: t0 + 2 * HOUR, maxRecordAgeMs: HOUR, token: 'b' };
    expect(mayHaveSkipped(state, later)).toBe(true);
  });
});

const harness = useHarness();

describe('records that expire unseen after the recovery recorded a give-up', () => {
  it('are counted exactly once after the next recovery', async () => {
    const h = harness();
    const table = await newTable(h);
    // No Kinesis client: when the handler suspects expired records it assumes some were skipped.
    const { client, deps, setClock, t0, prefix, b0, b1, expired, b3 } = await giveUpDuringIncident(
      h,
      table,
    );
    // The mapping is disabled; the operator recovers what was given up.
    await redrive(h, client, table, prefix);
    // Re-enabled two hours later: 5..6 are older than maxRecordAge and dropped untried.
    setClock(t0 + 2 * HOUR);
    await putOnFailure(h, prefix, expired, {
      condition: 'RecordAgeExceeded',
      timestamp: new Date(t0 + 2 * HOUR).toISOString(),
      name: 'b',
    });
    expect(await deliver(deps(), b3)).toBeUndefined();
    await redrive(h, client, table, prefix);

    const events = eventsOf([...b0, ...b1, ...expired, ...b3]);
    expect(await differences(h, table, events)).toEqual([]);
  });
});
