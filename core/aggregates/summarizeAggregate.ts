import { PERCENTILE_QUANTILES } from '../config/metricStats.js';
import { divideDecimal } from '../decimal/divideDecimal.js';
import { histogramBucketValue } from './aggregateHistogram.js';
import type { AggregateFigures } from './GroundTruth.js';

/**
 * What an aggregate item says, ready to show: `avg` is `sum / count`;
 * percentiles lie within 1 % of the exact value. Figures a metric does not
 * keep are `undefined`.
 *
 * `sum` and `avg` are numbers, the doubles nearest to the exact figures;
 * `sumDecimal` is the exact decimal sum as stored and `avgDecimal` the exact
 * quotient, rounded to 38 significant digits where it has more (`'0.15'`
 * for 0.1 and 0.2; `'3.333…3'` for 10 / 3).
 */
export interface AggregateSummary {
  count: number;
  sum: number | undefined;
  sumDecimal: string | undefined;
  min: number | undefined;
  max: number | undefined;
  avg: number | undefined;
  avgDecimal: string | undefined;
  p50: number | undefined;
  p90: number | undefined;
  p99: number | undefined;
}

/**
 * Turns an item's stored figures into its summary. A percentile is the value
 * at 0-based rank `floor(q · (n - 1))` among the `n` counted values, reported
 * as its bucket's value (within 1 %) and clamped to the exact min and max.
 *
 * @example
 * summarizeAggregate({ count: 2, sum: '30', min: 10, max: 20, buckets: { p116: 1, p150: 1 } });
 * // { count: 2, sum: 30, sumDecimal: '30', min: 10, max: 20, avg: 15, avgDecimal: '15',
 * //   p50: ≈10, p90: ≈10, p99: ≈10 }
 */
export function summarizeAggregate(figures: AggregateFigures): AggregateSummary {
  const { count, sum, min, max } = figures;
  const avgDecimal = sum === undefined || count === 0 ? undefined : divideDecimal(sum, count);
  const quantile = quantileReader(figures);
  return {
    count,
    sum: sum === undefined ? undefined : Number(sum),
    sumDecimal: sum,
    min,
    max,
    avg: avgDecimal === undefined ? undefined : Number(avgDecimal),
    avgDecimal,
    p50: quantile(PERCENTILE_QUANTILES.p50),
    p90: quantile(PERCENTILE_QUANTILES.p90),
    p99: quantile(PERCENTILE_QUANTILES.p99),
  };
}

/** A reader of quantiles from the item's buckets, sorted once; `undefined` without buckets. */
function quantileReader(figures: AggregateFigures): (q: number) => number | undefined {
  const buckets = Object.entries(figures.buckets ?? {})
    .filter(([, n]) => n > 0)
    .map(([key, n]) => ({ value: histogramBucketValue(key), n }))
    .sort((a, b) => a.value - b.value);
  // The bucket total, not `count`: while a replay is half applied the two may briefly differ.
  const total = buckets.reduce((sum, bucket) => sum + bucket.n, 0);
  return (q) => {
    if (total === 0) return undefined;
    const rank = Math.floor(q * (total - 1));
    let seen = 0;
    for (const { value, n } of buckets) {
      seen += n;
      if (seen > rank) return clamp(value, figures.min, figures.max);
    }
    return figures.max;
  };
}

function clamp(value: number, min: number | undefined, max: number | undefined): number {
  const low = min === undefined ? value : Math.max(min, value);
  return max === undefined ? low : Math.min(max, low);
}
