import { describe, expect, it } from 'vitest';
import {
  type AttemptStart,
  emptyLedger,
  finishAttempt,
  planAttempt,
  type ShardLedgerState,
} from '../../../core/aggregates/ShardLedger.js';
import { sequenceOrderKey } from '../../../core/aggregates/sequenceOrder.js';
import { aggregateKinesisBatch } from '../../../functions/aggregate/aggregateKinesisBatch.js';
import {
  type AttemptTracker,
  type BatchToTrack,
  DynamoAttemptTracker,
} from '../../../functions/aggregate/DynamoAttemptTracker.js';
import { DynamoShardLedger } from '../../../functions/aggregate/DynamoShardLedger.js';
import {
  batch,
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
 * Invariant: an invocation that timed out but keeps running (README:
 * "invocations that time out while their writes still land") never changes
 * what the ledger knows about newer attempts.
 *
 * Scenario: the zombie of an old batch reaches `attempts.begin` late, while
 * the mapping is on the last retry of a later, failing batch. Its begin is
 * stale (its records are all finished), so the retry's failure stays in the
 * ledger, the give-up is found, and the recovery counts the given-up records.
 */

const o = (n: number) => sequenceOrderKey(seq(n));
const start = (first: number, last: number, token: string): AttemptStart => ({
  first: o(first),
  last: o(last),
  now: 1_000_000,
  maxRecordAgeMs: undefined,
  token,
});

describe('planAttempt / finishAttempt with a late zombie', () => {
  it('keep the failure of the newest attempt when an older batch begins late', () => {
    // 1..2 done; 3..4 failed at 4 and is on its last retry when the zombie of 1..2 begins.
    let state: ShardLedgerState = planAttempt(emptyLedger(), start(1, 2, 'a')).state;
    state = finishAttempt(state, 'a', {
      failedFrom: undefined,
      last: o(2),
      lastArrivalMs: 0,
      now: 0,
    }) as ShardLedgerState;
    state = planAttempt(state, start(3, 4, 'b')).state;
    state = finishAttempt(state, 'b', {
      failedFrom: o(4),
      last: o(4),
      lastArrivalMs: 0,
      now: 0,
    }) as ShardLedgerState;
    state = planAttempt(state, start(4, 4, 'retry')).state;
    state = planAttempt(state, start(1, 2, 'zombie')).state;
    const retryEnd = finishAttempt(state, 'retry', {
      failedFrom: o(4),
      last: o(4),
      lastArrivalMs: 0,
      now: 0,
    });
    if (retryEnd) state = retryEnd;
    const zombieEnd = finishAttempt(state, 'zombie', {
      failedFrom: undefined,
      last: o(2),
      lastArrivalMs: 0,
      now: 0,
    });
    if (zombieEnd) state = zombieEnd;
    // The mapping gives 4 up and delivers 5..6: that must reveal the gap from 4.
    const next = planAttempt(state, start(5, 6, 'c'));
    expect(next.gap).toEqual({ lane: 0, from: o(4), before: o(5) });
  });
});

const harness = useHarness();

describe('a zombie invocation that begins after the mapping moved on', () => {
  it('does not make records given up later uncountable', async () => {
    const h = harness();
    const table = await newTable(h);
    const now = midHour();
    const t = new Date(now - 60_000).toISOString();
    let frDown = false;
    const rules: { current: FaultRule | undefined } = { current: frThrottled(() => frDown) };
    const client = faultyClient(h, rules);
    const real = new DynamoAttemptTracker(new DynamoShardLedger(client, table), {
      maxRecordAgeMs: 3_600_000,
      now: () => now,
    });
    // The zombie's begin waits for `releaseZombie`; the last retry of the failing batch lets the
    // zombie run to its end right after its own begin (both are in flight at once).
    let releaseZombie: () => void = () => undefined;
    const zombieGate = new Promise<void>((resolve) => {
      releaseZombie = resolve;
    });
    let zombieDone: Promise<unknown> = Promise.resolve();
    let onLastRetryBegun: (() => Promise<void>) | undefined;
    const tracker = (zombie: boolean): AttemptTracker => ({
      begin: async (b: BatchToTrack) => {
        if (zombie) await zombieGate;
        const attempt = await real.begin(b);
        if (!zombie && onLastRetryBegun) {
          const hook = onLastRetryBegun;
          onLastRetryBegun = undefined;
          await hook();
        }
        return attempt;
      },
    });
    const deps = handlerDeps(h, client, table, { now, attempts: tracker(false) });
    const zombieDeps = handlerDeps(h, client, table, { now, attempts: tracker(true) });

    const first = [rec(1, [purchase(10, 'DE', t)]), rec(2, [purchase(20, 'FR', t)])];
    const failing = [rec(3, [purchase(11, 'DE', t)]), rec(4, [purchase(2, 'FR', t)])];
    const next = [rec(5, [purchase(12, 'DE', t)]), rec(6, [purchase(30, 'FR', t)])];

    // The first invocation of 1..2 times out before it reaches the ledger; it keeps running.
    zombieDone = aggregateKinesisBatch(batch(first), zombieDeps);
    // The mapping retries 1..2: done.
    expect(await deliver(deps, first)).toBeUndefined();
    // 3..4: FR is throttled; record 4 is reported failed, retried from 4, twice.
    frDown = true;
    expect(await deliver(deps, failing)).toBe(failing[1]?.sequenceNumber);
    expect(await deliver(deps, failing.slice(1))).toBe(failing[1]?.sequenceNumber);
    // Last retry: the zombie reaches the ledger while it is in flight.
    onLastRetryBegun = async () => {
      frDown = false;
      releaseZombie();
      await zombieDone;
      frDown = true;
    };
    expect(await deliver(deps, failing.slice(1))).toBe(failing[1]?.sequenceNumber);
    frDown = false;
    // Given up.
    const prefix = 'aws/lambda/zombie/';
    await putOnFailure(h, prefix, failing.slice(1), { timestamp: new Date(now).toISOString() });
    expect(await deliver(deps, next)).toBeUndefined();
    await redrive(h, client, table, prefix);

    const events = eventsOf([...first, ...failing, ...next]);
    expect(await differences(h, table, events)).toEqual([]);
  });
});
