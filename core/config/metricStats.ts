// The statistics a metric can keep, apart from the configuration schema: the producers,
// the query functions and the fold read them without loading the schema's zod code.

/**
 * Percentile statistics. They are read from a log-bucketed histogram kept per
 * aggregate item, within 1 % of the exact value (see `aggregateHistogram`).
 */
export const PERCENTILE_STATS = ['p50', 'p90', 'p99'] as const;

/**
 * Statistics a metric can keep. `avg` is derived from `sum` and `count` when
 * read; the percentiles from the item's histogram.
 */
export const METRIC_STATS = ['count', 'sum', 'min', 'max', 'avg', ...PERCENTILE_STATS] as const;

/** One statistic a metric can keep. */
export type MetricStat = (typeof METRIC_STATS)[number];

/** The quantile (0..1) of each percentile statistic. */
export const PERCENTILE_QUANTILES: Readonly<Record<(typeof PERCENTILE_STATS)[number], number>> = {
  p50: 0.5,
  p90: 0.9,
  p99: 0.99,
};
