import { type AggregateFigures, mergeAggregateFigures } from '../core/aggregates/GroundTruth.js';
import { decimalsEqual } from '../core/decimal/compareDecimalStrings.js';

/** One aggregate item that does not hold what the run should have made it hold. */
export interface AggregateMismatch {
  /** `pk|sk` of the item. */
  key: string;
  expected: AggregateFigures | undefined;
  actual: AggregateFigures | undefined;
  reason: string;
  /**
   * Waiting cannot resolve it: counts only grow, so an item counted higher than
   * expected, an item the run did not touch that changed, or a wrong figure once
   * every event is there stays wrong.
   */
  final: boolean;
}

/** The outcome of comparing the table with the ground truth. */
export interface VerifyResult {
  passed: boolean;
  /** Ground-truth items compared. */
  checked: number;
  /** Ground-truth items the table already holds exactly. */
  matching: number;
  mismatches: AggregateMismatch[];
}

/**
 * Compares the table after a run with what it held before plus what the run
 * should have added. Counts, sums and histogram bucket counts add up; min and max combine. Every
 * figure must be equal, sums included: the table and the ground truth both add in exact decimal. Items the
 * run did not touch but that changed mean another producer wrote during the
 * run: they are reported too, since the run can then not be vouched for.
 */
export function compareAggregates(
  before: ReadonlyMap<string, AggregateFigures>,
  after: ReadonlyMap<string, AggregateFigures>,
  truth: ReadonlyMap<string, AggregateFigures>,
): VerifyResult {
  const mismatches: AggregateMismatch[] = [];
  for (const [key, added] of truth) {
    const base = before.get(key);
    const expected = base ? mergeAggregateFigures(base, added) : added;
    const actual = after.get(key);
    const reason = actual ? difference(expected, actual) : 'missing from the table';
    // Fewer events than expected may still be on their way; anything else will not change.
    if (reason) {
      mismatches.push({
        key,
        expected,
        actual,
        reason,
        final: (actual?.count ?? 0) >= expected.count,
      });
    }
  }
  const matching = truth.size - mismatches.length;
  for (const [key, actual] of after) {
    if (truth.has(key)) continue;
    const base = before.get(key);
    if (!base || difference(base, actual)) {
      mismatches.push({
        key,
        expected: base,
        actual,
        reason: 'changed although this run wrote nothing to it: another producer is writing',
        final: true,
      });
    }
  }
  return { passed: mismatches.length === 0, checked: truth.size, matching, mismatches };
}

/** Options of {@link waitForAggregates}. */
export interface WaitForAggregatesOptions {
  /** Reads the table now. */
  read: () => Promise<ReadonlyMap<string, AggregateFigures>>;
  before: ReadonlyMap<string, AggregateFigures>;
  truth: ReadonlyMap<string, AggregateFigures>;
  /** Give up after this long, ms. */
  timeoutMs: number;
  /** Once everything matches, look again after this long to catch late duplicates, ms. @default 3000 */
  settleMs?: number;
  /** Between reads, ms. @default 1000 */
  pollMs?: number;
  /** Told about each read that did not match yet. */
  onPending?: (result: VerifyResult) => void;
}

/**
 * Polls the table until it matches the ground truth and still matches a
 * settle period later (the pipeline has drained and nothing arrives twice),
 * until a mismatch that waiting cannot resolve shows up (see
 * {@link AggregateMismatch.final}), or until the timeout; returns the last
 * comparison.
 */
export async function waitForAggregates(options: WaitForAggregatesOptions): Promise<VerifyResult> {
  const deadline = Date.now() + options.timeoutMs;
  const settleMs = options.settleMs ?? 3_000;
  const pollMs = options.pollMs ?? 1_000;
  for (;;) {
    let result = compareAggregates(options.before, await options.read(), options.truth);
    if (result.passed) {
      await sleep(settleMs);
      result = compareAggregates(options.before, await options.read(), options.truth);
      if (result.passed) return result;
    }
    if (Date.now() + pollMs > deadline) return result;
    if (result.mismatches.some((mismatch) => mismatch.final)) return result;
    options.onPending?.(result);
    await sleep(pollMs);
  }
}

/** Why `actual` differs from `expected`, or `undefined` when it does not. */
function difference(expected: AggregateFigures, actual: AggregateFigures): string | undefined {
  if (actual.count !== expected.count)
    return `count is ${actual.count}, expected ${expected.count}`;
  if (actual.min !== expected.min) return `min is ${actual.min}, expected ${expected.min}`;
  if (actual.max !== expected.max) return `max is ${actual.max}, expected ${expected.max}`;
  if (!decimalsEqual(actual.sum, expected.sum)) {
    return `sum is ${actual.sum}, expected ${expected.sum}`;
  }
  return bucketDifference(expected.buckets, actual.buckets);
}

/**
 * The first histogram bucket whose count differs, or `undefined`. Counts are
 * integers added on both sides, so they must be equal exactly.
 */
function bucketDifference(
  expected: Readonly<Record<string, number>> | undefined,
  actual: Readonly<Record<string, number>> | undefined,
): string | undefined {
  if (!expected && !actual) return undefined;
  const keys = new Set([...Object.keys(expected ?? {}), ...Object.keys(actual ?? {})]);
  for (const key of [...keys].sort()) {
    const want = expected?.[key] ?? 0;
    const got = actual?.[key] ?? 0;
    if (want !== got) return `histogram bucket ${key} is ${got}, expected ${want}`;
  }
  return undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
