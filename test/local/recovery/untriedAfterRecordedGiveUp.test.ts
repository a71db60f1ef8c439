import { describe, expect, it } from 'vitest';
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
  useHarness,
} from './harness.js';

/**
 * Invariant: a recovery run that finds no markers adds nothing, also for
 * records that expired untried right after a give-up the recovery recorded
 * itself. Two on-failure objects of one shard are recovered before the next
 * live batch: a traced give-up (3..4, failed from 4) and the records after it
 * that expired untried (5..6). Both become gaps of the lane that was live, so
 * the live path and every recovery run agree on their lane.
 */

const HOUR = 3_600_000;
const harness = useHarness();

describe('untried records after a give-up the recovery recorded', () => {
  it('are counted once when the recovery runs again without markers', async () => {
    const h = harness();
    const table = await newTable(h);
    const t0 = midHour();
    let clock = t0;
    const t = new Date(t0 - 60_000).toISOString();
    let frDown = false;
    const rules: { current: FaultRule | undefined } = { current: frThrottled(() => frDown) };
    const client = faultyClient(h, rules);
    const attempts = new DynamoAttemptTracker(new DynamoShardLedger(client, table), {
      maxRecordAgeMs: HOUR,
      now: () => clock,
    });
    const deps = () => handlerDeps(h, client, table, { now: clock, attempts });
    const b0 = [rec(1, [purchase(10, 'DE', t)], t0), rec(2, [purchase(20, 'FR', t)], t0)];
    const b1 = [rec(3, [purchase(5, 'DE', t)], t0), rec(4, [purchase(7, 'FR', t)], t0)];
    const expired = [rec(5, [purchase(3, 'FR', t)], t0), rec(6, [purchase(1, 'DE', t)], t0)];
    const b3 = [
      rec(7, [purchase(30, 'FR', t)], t0 + 2 * HOUR),
      rec(8, [purchase(40, 'DE', t)], t0 + 2 * HOUR),
    ];
    expect(await deliver(deps(), b0)).toBeUndefined();
    frDown = true;
    expect(await deliver(deps(), b1)).toBe(b1[1]?.sequenceNumber);
    for (let i = 0; i < 2; i++) await deliver(deps(), b1.slice(1));
    frDown = false;
    const prefix = 'aws/lambda/incident/';
    // The mapping gives up 4 and, an hour later, drops 5..6 untried.
    await putOnFailure(h, prefix, b1.slice(1), {
      timestamp: new Date(t0).toISOString(),
      name: 'a',
    });
    clock = t0 + 2 * HOUR;
    await putOnFailure(h, prefix, expired, {
      condition: 'RecordAgeExceeded',
      timestamp: new Date(clock).toISOString(),
      name: 'b',
    });
    // The operator recovers before the shard receives anything new.
    const first = await redrive(h, client, table, prefix);
    expect(first.redriven).toBe(2);
    expect(await deliver(deps(), b3)).toBeUndefined();
    const events = eventsOf([...b0, ...b1, ...expired, ...b3]);
    expect(await differences(h, table, events)).toEqual([]);
    // A run that stopped before its markers were written, run again.
    await redrive(h, client, table, prefix, { markerPrefix: 'again/' });
    expect(await differences(h, table, events)).toEqual([]);
  });
});
