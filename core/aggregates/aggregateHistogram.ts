import { SUMMABLE_NUMBER_LIMITS } from '../decimal/summableNumberRule.js';
import { LogBucketScheme } from '../stats/LogBucketScheme.js';

/**
 * The histogram every percentile metric keeps per aggregate item: DDSketch
 * log buckets at 1 % relative accuracy over a bounded range of magnitudes,
 * so an item's bucket count, and hence its size, has a fixed upper bound.
 *
 * The range is the range of values the handler accepts
 * (`SUMMABLE_NUMBER_LIMITS`: nonzero magnitudes from 1e-12 up to below
 * 1e14), so every accepted value has a bucket of its own, within 1 %:
 *
 * - Magnitudes below `minMagnitude` count in the zero bucket and read back
 *   as 0; of accepted values, only zero does.
 * - Magnitudes above `maxMagnitude` count in the bucket of `maxMagnitude`;
 *   no accepted value does (a guard for items written before the rule).
 * - Negative values mirror positive ones: a value `-v` counts in the negative
 *   bucket of `v`, so percentiles of signed values keep the 1 % bound too.
 */
export const AGGREGATE_HISTOGRAM = {
  relativeAccuracy: 0.01,
  minMagnitude: SUMMABLE_NUMBER_LIMITS.minMagnitude,
  maxMagnitude: SUMMABLE_NUMBER_LIMITS.magnitudeLimit,
} as const;

/** Key of the zero bucket. */
export const ZERO_BUCKET_KEY = 'z';

/** The bucket mapping of aggregate histograms; the fold, the store and readers share it. */
export const AGGREGATE_BUCKETS = new LogBucketScheme(AGGREGATE_HISTOGRAM.relativeAccuracy);

/** Lowest and highest bucket index of either sign (26 decades, 2,994 indexes). */
export const AGGREGATE_BUCKET_INDEX_RANGE = {
  min: AGGREGATE_BUCKETS.indexOf(AGGREGATE_HISTOGRAM.minMagnitude),
  max: AGGREGATE_BUCKETS.indexOf(AGGREGATE_HISTOGRAM.maxMagnitude),
} as const;

/** Bucket counts by bucket key (see {@link histogramBucketKey}). */
export type HistogramCounts = Map<string, number>;

/** A bucket key taken apart: its sign (`0` for the zero bucket) and index. */
export interface HistogramBucket {
  sign: -1 | 0 | 1;
  index: number;
}

/**
 * The key of the bucket that counts `value`: `z` for the zero bucket, `p<i>`
 * for positive values in bucket `i`, `n<i>` for negative values whose
 * magnitude lies in bucket `i` (for example `p187` for 42, `n-34` for -0.5).
 */
export function histogramBucketKey(value: number): string {
  const magnitude = Math.abs(value);
  if (!(magnitude >= AGGREGATE_HISTOGRAM.minMagnitude)) return ZERO_BUCKET_KEY;
  const index = Math.min(AGGREGATE_BUCKETS.indexOf(magnitude), AGGREGATE_BUCKET_INDEX_RANGE.max);
  return `${value > 0 ? 'p' : 'n'}${index}`;
}

/** Takes a bucket key apart; throws on anything {@link histogramBucketKey} does not make. */
export function parseHistogramBucketKey(key: string): HistogramBucket {
  if (key === ZERO_BUCKET_KEY) return { sign: 0, index: 0 };
  const index = Number(key.slice(1));
  const prefix = key[0];
  if ((prefix !== 'p' && prefix !== 'n') || !Number.isSafeInteger(index) || key.length < 2) {
    throw new RangeError(`not a histogram bucket key: ${JSON.stringify(key)}`);
  }
  return { sign: prefix === 'p' ? 1 : -1, index };
}

/** The value a bucket reports: within 1 % of every value it counts (0 for the zero bucket). */
export function histogramBucketValue(key: string): number {
  const { sign, index } = parseHistogramBucketKey(key);
  return sign === 0 ? 0 : sign * AGGREGATE_BUCKETS.valueOf(index);
}
