import { describe, expect, it } from 'vitest';
import {
  clockedHandler,
  deliver,
  differences,
  eventsOf,
  type FaultRule,
  midHour,
  newTable,
  purchase,
  putOnFailure,
  rec,
  redrive,
  throttled,
  useHarness,
} from './harness.js';

/**
 * Invariant: a new batch is never taken for a timed-out invocation of an
 * older one, whatever the clocks of the containers say. The last try of a
 * batch that is then given up cannot write its end (the same throttling
 * hits the ledger item); the next batch starts in a container whose clock is
 * 50 ms behind. It starts after the open attempt, so it is not stale: it
 * records the gap, and the recovery counts the given-up records.
 */

const harness = useHarness();

describe('a new batch started in a container whose clock is slightly behind', () => {
  it('does not hide the give-up before it', async () => {
    const h = harness();
    const table = await newTable(h);
    const t0 = midHour();
    const t = new Date(t0 - 60_000).toISOString();
    const rules: { current: FaultRule | undefined } = { current: undefined };
    // `at(now)`: an invocation started at `now` on its container's clock.
    const { client, deps: at } = clockedHandler(h, table, rules, () => t0);
    const b0 = [rec(1, [purchase(10, 'DE', t)], t0), rec(2, [purchase(20, 'FR', t)], t0)];
    const p = [rec(3, [purchase(5, 'DE', t)], t0), rec(4, [purchase(7, 'FR', t)], t0)];
    const q = [rec(5, [purchase(3, 'FR', t)], t0), rec(6, [purchase(1, 'DE', t)], t0)];
    expect(await deliver(at(t0), b0)).toBeUndefined();
    // The last try of p, in container A (clock 50 ms ahead): its start is recorded, its end is not.
    // FR updates are throttled, and so is the write of the attempt's end.
    let startWrites = 0;
    rules.current = (r) => {
      if (r.command === 'UpdateItemCommand' && r.pk === 'revenue#country=FR') return throttled();
      if (r.command !== 'GetItemCommand' && r.pk?.startsWith('shard#') && startWrites++ > 0)
        return throttled();
      return undefined;
    };
    expect(await deliver(at(t0 + 1_050), p)).toBe(p[1]?.sequenceNumber);
    rules.current = undefined;
    const prefix = 'aws/lambda/skew/';
    await putOnFailure(h, prefix, p, { timestamp: new Date(t0 + 1_010).toISOString() });
    // q starts 20 ms later in real time, in container B (accurate clock): t0 + 1_020.
    expect(await deliver(at(t0 + 1_020), q)).toBeUndefined();
    await redrive(h, client, table, prefix);
    const events = eventsOf([...b0, ...p, ...q]);
    expect(await differences(h, table, events)).toEqual([]);
  });
});
