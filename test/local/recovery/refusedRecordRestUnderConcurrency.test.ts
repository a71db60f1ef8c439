import { describe, expect, it } from 'vitest';
import { aggregateKinesisBatch } from '../../../functions/aggregate/aggregateKinesisBatch.js';
import type { RejectEntry } from '../../../functions/aggregate/RejectsSink.js';
import { kinesisStreamEvent } from '../../helpers/kinesisStreamEvent.js';
import {
  deliver,
  differences,
  type FaultRule,
  faultyClient,
  handlerDeps,
  midHour,
  newTable,
  purchase,
  rec,
  refused,
  seq,
  useHarness,
} from './harness.js';

/**
 * Invariant: the other events of a record DynamoDB refused are counted once,
 * also while another shard writes the same item (every shard writes
 * `revenue#country=DE`) and moves its min or max between the guess and the
 * update: the rest is re-folded with its own events after the conflict.
 *
 * The refusal is injected as in `test/local/refusedByStore.test.ts`.
 */

const POISON = '9999999.77';
const harness = useHarness();

describe('the rest of a refused record, while another shard writes the same item', () => {
  it('is counted exactly once', async () => {
    const h = harness();
    const table = await newTable(h);
    const now = midHour();
    const t = new Date(now - 60_000).toISOString();
    const otherShard = purchase(1, 'DE', t);
    let fired = false;
    const rules: { current: FaultRule | undefined } = {
      current: async (r) => {
        if (r.command !== 'UpdateItemCommand') return undefined;
        const values = (r.input.ExpressionAttributeValues ?? {}) as Record<string, { N?: string }>;
        if (Object.values(values).some((v) => v.N === POISON)) return refused();
        const update = String(r.input.UpdateExpression);
        const condition = String(r.input.ConditionExpression);
        if (
          !fired &&
          r.pk === 'revenue#country=DE' &&
          update.includes('#count') &&
          !condition.includes('#probeKey') &&
          values[':min']?.N === '3'
        ) {
          // Shard 1 writes the same items (a new minimum) just before this update lands.
          fired = true;
          const deps = handlerDeps(h, h.clients.dynamodb, table, { now });
          await aggregateKinesisBatch(
            kinesisStreamEvent(
              [{ sequenceNumber: seq(1), lines: [otherShard] }],
              'shardId-000000000001',
            ),
            deps,
          );
        }
        return undefined;
      },
    };
    const client = faultyClient(h, rules);
    const rejects: RejectEntry[] = [];
    const deps = handlerDeps(h, client, table, { now, rejects });
    const earlier = purchase(5, 'DE', t);
    const rest = purchase(3, 'DE', t);
    const poison = purchase(Number(POISON), 'DE', t);

    expect(await deliver(deps, [rec(1, [earlier])])).toBeUndefined();
    expect(await deliver(deps, [rec(2, [rest, poison])])).toBeUndefined();

    expect(fired).toBe(true);
    expect(rejects.filter((r) => r.raw.includes(rest.id))).toEqual([]);
    // The refused value's own items (revenue) hold every other purchase; zero-count buckets
    // left by the refused value are not what this test is about.
    const diff = await differences(h, table, [earlier, rest, otherShard], {
      ignoreZeroBuckets: true,
    });
    expect(diff.filter((line) => line.startsWith('revenue#'))).toEqual([]);
  });
});
