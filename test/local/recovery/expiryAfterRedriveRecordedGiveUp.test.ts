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
import { DynamoAttemptTracker } from '../../../functions/aggregate/DynamoAttemptTracker.js';
import { DynamoShardLedger } from '../../../functions/aggregate/DynamoShardLedger.js';
import {
  deliver,
  differences,
  eventsOf,
  type FaultRule,
  faultyClient,
  frThrottled,
  handlerDeps,
  midHour,
  newTable,
  purchase,
  putOnFailure,
  rec,
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
    const t0 = midHour();
    let clock = t0;
    const t = new Date(t0 - 60_000).toISOString();
    let frDown = false;
    const rules: { current: FaultRule | undefined } = { current: frThrottled(() => frDown) };
    const client = faultyClient(h, rules);
    // No Kinesis client: when the handler suspects expired records it assumes some were skipped.
    const attempts = new DynamoAttemptTracker(new DynamoShardLedger(client, table), {
      maxRecordAgeMs: HOUR,
      now: () => clock,
    });
    const deps = () => handlerDeps(h, client, table, { now: clock, attempts });
    const b0 = [rec(1, [purchase(10, 'DE', t)], t0), rec(2, [purchase(20, 'FR', t)], t0)];
    const b1 = [rec(3, [purchase(5, 'DE', t)], t0), rec(4, [purchase(7, 'FR', t)], t0)];
    const expired = [rec(5, [purchase(3, 'FR', t)], t0), rec(6, [purchase(1, 'DE', t)], t0)];
    // Late events (same items), put two hours later.
    const b3 = [
      rec(7, [purchase(30, 'FR', t)], t0 + 2 * HOUR),
      rec(8, [purchase(40, 'DE', t)], t0 + 2 * HOUR),
    ];
    expect(await deliver(deps(), b0)).toBeUndefined();
    frDown = true;
    expect(await deliver(deps(), b1)).toBe(b1[1]?.sequenceNumber);
    for (let i = 0; i < 2; i++) await deliver(deps(), b1.slice(1));
    const prefix = 'aws/lambda/incident/';
    await putOnFailure(h, prefix, b1.slice(1), {
      timestamp: new Date(t0).toISOString(),
      name: 'a',
    });
    frDown = false;
    // The mapping is disabled; the operator recovers what was given up.
    await redrive(h, client, table, prefix);
    // Re-enabled two hours later: 5..6 are older than maxRecordAge and dropped untried.
    clock = t0 + 2 * HOUR;
    await putOnFailure(h, prefix, expired, {
      condition: 'RecordAgeExceeded',
      timestamp: new Date(clock).toISOString(),
      name: 'b',
    });
    expect(await deliver(deps(), b3)).toBeUndefined();
    await redrive(h, client, table, prefix);

    const events = eventsOf([...b0, ...b1, ...expired, ...b3]);
    expect(await differences(h, table, events)).toEqual([]);
  });
});
