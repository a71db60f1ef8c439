import type { AggregateFigures } from '../../core/aggregates/GroundTruth.js';
import { decimalsEqual } from '../../core/decimal/compareDecimalStrings.js';
import { aggregateFiguresOf } from '../../functions/aggregate/aggregateFiguresOf.js';
import { splitItemKey } from './expectedAggregates.js';
import { type JudgedRange, judgeBucket } from './judgeBucket.js';
import { holdsFigures, type StoredItem } from './readStoredAggregates.js';

/** One aggregate item whose stored figures differ from what the archive says. */
export interface AggregateDrift {
  /** `pk|sk` of the item. */
  key: string;
  metric: string;
  group: string;
  window: string;
  /** Bucket start, ISO 8601. */
  bucket: string;
  /** `missing`: expected, not stored; `unexpected`: stored, nothing expected; else `different`. */
  kind: 'missing' | 'unexpected' | 'different';
  expected: AggregateFigures | undefined;
  stored: AggregateFigures | undefined;
  /** Each differing figure, for example `count: expected 12, stored 13`. */
  differences: string[];
}

/** Items judged and left out, per metric. */
export interface MetricJudgement {
  judged: number;
  drifted: number;
  cutByRange: number;
  notComplete: number;
  /** Left out: the bucket may hold events of a merged archive line (see `judgeBucket`). */
  mergedLines: number;
}

/** A tally with nothing counted yet. */
export function emptyJudgement(): MetricJudgement {
  return { judged: 0, drifted: 0, cutByRange: 0, notComplete: 0, mergedLines: 0 };
}

/** The outcome of comparing expected and stored items. */
export interface DriftFindings {
  drift: AggregateDrift[];
  /** Per metric, in the order given. */
  metrics: Record<string, MetricJudgement>;
}

/**
 * Compares the items the archive implies with the stored ones, in the buckets
 * {@link judgeBucket} judges (so never where merged archive lines may hide
 * events the table counted). Counts and histogram buckets must be equal,
 * min and max equal, sums equal exactly (both sides add in decimal).
 */
export function findDrift(
  expected: ReadonlyMap<string, AggregateFigures>,
  stored: ReadonlyMap<string, StoredItem>,
  metrics: readonly string[],
  windowSizes: ReadonlyMap<string, number>,
  range: JudgedRange,
): DriftFindings {
  const findings: DriftFindings = {
    drift: [],
    metrics: Object.fromEntries(metrics.map((m) => [m, emptyJudgement()])),
  };
  const keys = new Set<string>(expected.keys());
  for (const [key, item] of stored) if (holdsFigures(item)) keys.add(key);
  for (const key of [...keys].sort()) {
    const parts = splitItemKey(key);
    const tally = findings.metrics[parts.metric];
    const size = windowSizes.get(parts.window);
    if (!tally || size === undefined) continue;
    const judgement = judgeBucket(Date.parse(parts.bucket), size, range);
    if (judgement === 'cut-by-range') {
      tally.cutByRange++;
      continue;
    }
    if (judgement === 'not-complete') {
      tally.notComplete++;
      continue;
    }
    if (judgement === 'merged-lines') {
      tally.mergedLines++;
      continue;
    }
    tally.judged++;
    const want = expected.get(key);
    const item = stored.get(key);
    const got = holdsFigures(item) ? aggregateFiguresOf(item as StoredItem) : undefined;
    const differences = figureDifferences(want, got);
    if (differences.length === 0) continue;
    tally.drifted++;
    findings.drift.push({
      key,
      metric: parts.metric,
      group: parts.group,
      window: parts.window,
      bucket: parts.bucket,
      kind: got === undefined ? 'missing' : want === undefined ? 'unexpected' : 'different',
      expected: want,
      stored: got,
      differences,
    });
  }
  return findings;
}

/** Every figure in which `stored` differs from `expected`; empty when they agree. */
export function figureDifferences(
  expected: AggregateFigures | undefined,
  stored: AggregateFigures | undefined,
): string[] {
  const want = expected ?? { count: 0, sum: undefined, min: undefined, max: undefined };
  const got = stored ?? { count: 0, sum: undefined, min: undefined, max: undefined };
  const differences: string[] = [];
  const note = (name: string, a: unknown, b: unknown) =>
    differences.push(`${name}: expected ${a ?? '-'}, stored ${b ?? '-'}`);
  if (want.count !== got.count) note('count', want.count, got.count);
  if (!sumsAgree(want.sum, got.sum)) note('sum', want.sum, got.sum);
  if (want.min !== got.min) note('min', want.min, got.min);
  if (want.max !== got.max) note('max', want.max, got.max);
  const buckets = new Set([...Object.keys(want.buckets ?? {}), ...Object.keys(got.buckets ?? {})]);
  for (const bucket of [...buckets].sort()) {
    const a = want.buckets?.[bucket] ?? 0;
    const b = got.buckets?.[bucket] ?? 0;
    if (a !== b) note(`bucket ${bucket}`, a, b);
  }
  return differences;
}

/** Whether two sums are the same decimal number (both absent counts as agreeing). */
export function sumsAgree(a: string | undefined, b: string | undefined): boolean {
  return decimalsEqual(a, b);
}
