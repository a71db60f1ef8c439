import { describe, expect, it } from 'vitest';
import { aggregateKinesisBatch } from '../../../functions/aggregate/aggregateKinesisBatch.js';
import { DynamoShardLedger } from '../../../functions/aggregate/DynamoShardLedger.js';
import {
  batch,
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
 * Sequences of deliveries around give-ups (a crash mid-flush, bisected
 * halves, overlapping lanes, two gaps before a recovery, a recovery before
 * the next batch, re-deliveries): after the recovery, every figure equals
 * the ground truth.
 */

const harness = useHarness();

describe('deliveries around give-ups, then the recovery', () => {
  it('a gap inside a lane that overlaps an older one, then a second gap, recovered twice', async () => {
    const h = harness();
    const table = await newTable(h);
    const now = midHour();
    const t = new Date(now - 60_000).toISOString();
    let writes = 0;
    let dieAfter = Number.POSITIVE_INFINITY;
    let frDown = false;
    const throttleFr = frThrottled(() => frDown);
    const rules: { current: FaultRule | undefined } = {
      current: (r) => {
        if (writes >= dieAfter) return new Error('the process is dead');
        if (r.command === 'UpdateItemCommand' || r.command === 'PutItemCommand') writes++;
        return throttleFr(r);
      },
    };
    const { client, deps } = liveHandler(harness(), table, rules, now);
    const b0 = [rec(1, [purchase(10, 'DE', t)]), rec(2, [purchase(20, 'FR', t)])];
    const b1 = [
      rec(3, [purchase(5, 'DE', t), purchase(6, 'FR', t)]),
      rec(4, [purchase(7, 'FR', t)]),
      rec(5, [purchase(1, 'DE', t), purchase(900, 'FR', t)]),
      rec(6, [purchase(8, 'FR', t)]),
    ];
    const b2 = [rec(7, [purchase(3, 'FR', t)]), rec(8, [purchase(50, 'DE', t)])];
    expect(await deliver(deps, b0)).toBeUndefined();
    // 3..6 dies mid-flush (after 4 writes: the ledger begin and some items); the attempt stays open.
    dieAfter = writes + 4;
    await aggregateKinesisBatch(batch(b1), deps).catch(() => undefined);
    dieAfter = Number.POSITIVE_INFINITY;
    // Bisected: 3..4 fails at 3 (FR) and is given up.
    frDown = true;
    for (let i = 0; i < 3; i++) await deliver(deps, b1.slice(0, 2));
    const prefix = 'aws/lambda/overlap/';
    await putOnFailure(h, prefix, b1.slice(0, 2), { timestamp: new Date(now).toISOString() });
    // 5..6 opens lane 1 (checked against lane 0, which tried up to 6); FR still fails; given up.
    for (let i = 0; i < 3; i++) await deliver(deps, b1.slice(2));
    await putOnFailure(h, prefix, b1.slice(2), { timestamp: new Date(now).toISOString() });
    frDown = false;
    expect(await deliver(deps, b2)).toBeUndefined();
    await redrive(h, client, table, prefix);
    await redrive(h, client, table, prefix, { markerPrefix: 'again/' });
    expect(await differences(h, table, eventsOf([...b0, ...b1, ...b2]))).toEqual([]);
    const { state } = await new DynamoShardLedger(h.clients.dynamodb, table).read(
      'shardId-000000000000',
    );
    expect(state.gaps.map((g) => g.lane)).toEqual([0, 1]);
    expect(state.lanes.find((l) => l.lane === 0)?.through).toBe(
      state.lanes.find((l) => l.lane === 1)?.through,
    );
  });

  it('a redrive that records the give-up before the next batch, then a re-delivery of the given-up records', async () => {
    const h = harness();
    const table = await newTable(h);
    const now = midHour();
    const t = new Date(now - 60_000).toISOString();
    let frDown = false;
    const rules: { current: FaultRule | undefined } = { current: frThrottled(() => frDown) };
    const { client, deps } = liveHandler(harness(), table, rules, now);
    const b0 = [rec(1, [purchase(10, 'DE', t)]), rec(2, [purchase(20, 'FR', t)])];
    const b1 = [rec(3, [purchase(5, 'DE', t)]), rec(4, [purchase(7, 'FR', t)])];
    const b2 = [rec(5, [purchase(3, 'FR', t)]), rec(6, [purchase(50, 'DE', t)])];
    expect(await deliver(deps, b0)).toBeUndefined();
    frDown = true;
    expect(await deliver(deps, b1)).toBeDefined();
    for (let i = 0; i < 2; i++) await deliver(deps, b1.slice(1));
    const prefix = 'aws/lambda/early-redrive/';
    await putOnFailure(h, prefix, b1.slice(1), { timestamp: new Date(now).toISOString() });
    frDown = false;
    // The recovery runs before any later batch (it records the gap itself) ...
    await redrive(h, client, table, prefix);
    // ... then the mapping, restarted from a checkpoint saved before the give-up, delivers the
    // given-up records again, and the next batch, and a duplicate of the first.
    expect(await deliver(deps, [...b1, ...b2])).toBeUndefined();
    expect(await deliver(deps, b0)).toBeUndefined();
    await redrive(h, client, table, prefix, { markerPrefix: 'again/' });
    expect(await differences(h, table, eventsOf([...b0, ...b1, ...b2]))).toEqual([]);
  });

  it('values at the edges of the summable-number rule and zero are stored and summed exactly', async () => {
    const h = harness();
    const table = await newTable(h);
    const now = midHour();
    const t = new Date(now - 60_000).toISOString();
    const { deps } = liveHandler(harness(), table, { current: undefined }, now);
    const amounts = [1e-12, 0.000000000001, 123.456789012345, 9999999.999999, -0, 0, 1e7, 0.1, 0.2];
    const records = amounts.map((a, i) => rec(i + 1, [purchase(a, 'DE', t)]));
    expect(await deliver(deps, records)).toBeUndefined();
    expect(await deliver(deps, records)).toBeUndefined();
    expect(await differences(h, table, eventsOf(records))).toEqual([]);
  });
});
