import { describe, expect, it } from 'vitest';
import {
  deliver,
  differences,
  eventsOf,
  giveUpDuringIncident,
  newTable,
  putOnFailure,
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
    const { client, deps, setClock, t0, prefix, b0, b1, expired, b3 } = await giveUpDuringIncident(
      h,
      table,
    );
    // The mapping gave up 4 and, an hour later, drops 5..6 untried.
    setClock(t0 + 2 * HOUR);
    await putOnFailure(h, prefix, expired, {
      condition: 'RecordAgeExceeded',
      timestamp: new Date(t0 + 2 * HOUR).toISOString(),
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
