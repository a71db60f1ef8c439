import { describe, expect, it } from 'vitest';
import {
  deliver,
  differences,
  eventsOf,
  type FaultRule,
  frThrottled,
  liveHandler,
  midHour,
  newTable,
  purchase,
  putOnFailure,
  rec,
  redrive,
  useHarness,
} from './harness.js';

/**
 * Invariant: an on-failure object is recovered exactly once whatever records
 * before its gap it also holds.
 *
 * Two ways to get such an object:
 * - the handler records a partial failure (`failedFrom`) and returns, but the
 *   invocation still fails (the local mapping's "the function crashed after
 *   flushing"; on AWS a timeout right after the handler's last write): the
 *   mapping retries the whole batch and gives it up;
 * - a restart from a checkpoint older than the failure, more than
 *   `maxRecordAge` later, gives up records from the checkpoint on.
 * The records before the gap were counted in full where they were tried; the
 * recovery takes each record's lane on its own.
 */

const harness = useHarness();

describe('an on-failure object that starts before the gap the ledger recorded', () => {
  it('retried whole after a recorded partial failure: the given-up batch is counted exactly once', async () => {
    const h = harness();
    const table = await newTable(h);
    const now = midHour();
    const t = new Date(now - 60_000).toISOString();
    let frDown = false;
    const rules = { current: frThrottled(() => frDown) as FaultRule | undefined };
    const { client, deps } = liveHandler(harness(), table, rules, now);
    const before = [rec(1, [purchase(10, 'DE', t)]), rec(2, [purchase(20, 'FR', t)])];
    const whole = [
      rec(3, [purchase(11, 'DE', t)]),
      rec(4, [purchase(2, 'FR', t)]),
      rec(5, [purchase(13, 'DE', t)]),
      rec(6, [purchase(400, 'FR', t)]),
    ];
    const after = [rec(7, [purchase(14, 'DE', t)]), rec(8, [purchase(30, 'FR', t)])];
    expect(await deliver(deps, before)).toBeUndefined();

    // Each try: the handler records "failed from 4" (FR throttled) in the ledger and returns,
    // then the invocation fails (the local mapping's "crashed after flushing", or a timeout on
    // AWS right after the handler's last write), so the mapping retries the WHOLE batch
    // (bisectBatchOnError false) and finally gives up 3..6.
    frDown = true;
    for (let i = 0; i < 3; i++) expect(await deliver(deps, whole)).toBe(whole[1]?.sequenceNumber);
    const prefix = 'aws/lambda/crash-after-flush/';
    await putOnFailure(h, prefix, whole, { timestamp: new Date(now).toISOString() });
    frDown = false;
    expect(await deliver(deps, after)).toBeUndefined();
    // Recovery, twice.
    await redrive(h, client, table, prefix);
    await redrive(h, client, table, prefix, { markerPrefix: 'again/' });

    const events = eventsOf([...before, ...whole, ...after]);
    expect(await differences(h, table, events)).toEqual([]);
  });

  it('expired on a restart from an older checkpoint: the RecordAgeExceeded object is counted exactly once', async () => {
    const h = harness();
    const table = await newTable(h);
    const now = midHour();
    const t = new Date(now - 60_000).toISOString();
    let frDown = false;
    const rules = { current: frThrottled(() => frDown) as FaultRule | undefined };
    const { client, deps } = liveHandler(harness(), table, rules, now);
    const before = [rec(1, [purchase(10, 'DE', t)]), rec(2, [purchase(20, 'FR', t)])];
    const pending = [
      rec(3, [purchase(11, 'DE', t)]),
      rec(4, [purchase(2, 'FR', t)]),
      rec(5, [purchase(13, 'DE', t)]),
      rec(6, [purchase(400, 'FR', t)]),
    ];
    const after = [rec(7, [purchase(30, 'FR', t)]), rec(8, [purchase(31, 'DE', t)])];
    expect(await deliver(deps, before)).toBeUndefined();
    // Record 4 reported failed; the mapping checkpoints at 3 in memory, then the process is
    // killed before the checkpoint file is saved (it still says 2).
    frDown = true;
    expect(await deliver(deps, pending)).toBe(pending[1]?.sequenceNumber);
    frDown = false;
    // More than maxRecordAge later, the restart reads from 2: records 3..6 are too old.
    const prefix = 'aws/lambda/restart/';
    await putOnFailure(h, prefix, pending, {
      condition: 'RecordAgeExceeded',
      timestamp: new Date(now).toISOString(),
    });
    expect(await deliver(deps, after)).toBeUndefined();
    await redrive(h, client, table, prefix);
    await redrive(h, client, table, prefix, { markerPrefix: 'again/' });

    const events = eventsOf([...before, ...pending, ...after]);
    expect(await differences(h, table, events)).toEqual([]);
  });
});
