import { describe, expect, it } from 'vitest';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import type { RejectEntry } from '../../../functions/aggregate/RejectsSink.js';
import { expectedAggregates } from '../groundTruth.js';
import { readAggregates } from '../readAggregates.js';
import {
  config,
  deliver,
  type FaultRule,
  faultyClient,
  handlerDeps,
  midHour,
  newTable,
  purchase,
  rec,
  refused,
  throttled,
  useHarness,
} from './harness.js';

/**
 * Invariant: when DynamoDB refuses an item's update as invalid, the other
 * events of the refused record are still counted exactly once in every
 * figure, histogram buckets included, even if a write of the isolation
 * fails transiently and the batch is replayed: the replay checks the
 * watermark of every chunk, not only the main one.
 *
 * The refusal is injected as in `test/local/refusedByStore.test.ts`.
 */

const POISON = '9999999.77';
const harness = useHarness();

/** Stored figures, zero-count buckets left out, for the items of `pk`. */
async function figures(table: string, pk: string) {
  const stored = await readAggregates(harness().clients.dynamodb, table);
  return Object.fromEntries(
    [...stored]
      .filter(([key]) => key.startsWith(`${pk}|`))
      .map(([key, f]) => [
        key,
        {
          ...f,
          buckets: Object.fromEntries(Object.entries(f.buckets ?? {}).filter(([, n]) => n !== 0)),
        },
      ]),
  );
}

function expected(events: StreamfoldEvent[], pk: string) {
  return Object.fromEntries(
    [...expectedAggregates(config, events)]
      .filter(([key]) => key.startsWith(`${pk}|`))
      .map(([key, f]) => [key, { ...f, buckets: f.buckets ?? {} }]),
  );
}

describe('a record whose item update DynamoDB refuses', () => {
  it('keeps every bucket of its other events after a throttled write and a replay', async () => {
    const h = harness();
    const table = await newTable(h);
    const now = midHour();
    const t = new Date(now - 60_000).toISOString();
    const throttledOnce = new Set<string>();
    let armed = true;
    const rules: { current: FaultRule | undefined } = {
      current: (r) => {
        if (r.command !== 'UpdateItemCommand') return undefined;
        const values = (r.input.ExpressionAttributeValues ?? {}) as Record<string, { N?: string }>;
        if (Object.values(values).some((v) => v.N === POISON)) return refused();
        const update = String(r.input.UpdateExpression);
        const condition = String(r.input.ConditionExpression);
        // The first update without the main chunk for each DE revenue item fails once.
        if (
          armed &&
          r.pk === 'revenue#country=DE' &&
          !update.includes('#count') &&
          !condition.includes('#probeKey') &&
          !throttledOnce.has(String(r.sk))
        ) {
          throttledOnce.add(String(r.sk));
          return throttled();
        }
        return undefined;
      },
    };
    const client = faultyClient(h, rules);
    const rejects: RejectEntry[] = [];
    const deps = handlerDeps(h, client, table, { now, rejects });
    // Values over ten histogram chunks (more than one update holds), and the refused one.
    const amounts = [1e-11, 1e-9, 1e-7, 1e-5, 1e-3, 0.1, 10, 1000, 1e5, 1e6];
    const good = amounts.map((a) => purchase(a, 'DE', t));
    const poison = purchase(Number(POISON), 'DE', t);
    const records = [rec(1, [...good, poison])];

    const firstTry = await deliver(deps, records);
    armed = false;
    const replay = await deliver(deps, records);

    expect(firstTry).toBeDefined(); // the throttled write is reported and the batch replayed
    expect(replay).toBeUndefined();
    expect
      .soft(await figures(table, 'revenue#country=DE'))
      .toEqual(expected(good, 'revenue#country=DE'));
    // The refused event is not counted, so it must be in the rejects sink.
    expect.soft(rejects.some((r) => r.raw.includes(poison.id))).toBe(true);
  });
});
