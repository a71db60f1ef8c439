import type { MetricDefinition } from '../core/config/configSchema.js';
import { type MetricStat, PERCENTILE_QUANTILES } from '../core/config/metricStats.js';
import type { ArchivePartitionKey } from './archivePartitioning.js';

/** A saved Athena query. */
export interface ArchiveQuery {
  /** Stable identifier: `distinct-events` or the metric's name. */
  id: string;
  name: string;
  description: string;
  queryString: string;
}

/** Where the queries read from. */
export interface ArchiveQueryTarget {
  database: string;
  table: string;
  /** The table's partition keys; queries prune to today's partitions (UTC) with them. */
  partitionKeys: readonly ArchivePartitionKey[];
}

/** Today's value of a partition key, by its date pattern. */
const TODAY_BY_PATTERN: Record<string, string> = {
  yyyy: 'year(current_date)',
  MM: 'month(current_date)',
  dd: 'day(current_date)',
};

/**
 * Example queries over the archive: the distinct events (deduplicated by `id`)
 * and, for every declared metric, the same statistics the aggregate handler
 * keeps, per hour of event time. The metric queries are built from the metric
 * definitions, so `revenue by country per hour` always matches the `revenue`
 * metric, and they serve to check the aggregates against the archive.
 *
 * They read today's arrivals (the archive is partitioned by arrival time),
 * leave out rows without an `id` (empty and malformed lines, which the JSON
 * SerDe reads as rows of nulls) and count each `id` once; the aggregates count
 * a producer's duplicate twice, so expect equality only when producers did not
 * retry.
 */
export function archiveQueries(
  target: ArchiveQueryTarget,
  metrics: readonly MetricDefinition[],
): ArchiveQuery[] {
  const distinct = distinctEventsSql(target);
  const queries: ArchiveQuery[] = [
    {
      id: 'distinct-events',
      name: 'distinct events today',
      description:
        'Events that arrived today (UTC), one row per id: producer retries can archive an event twice.',
      queryString: `${distinct}\nSELECT id, type, "time", source, data\nFROM distinct_events\nORDER BY "time"\nLIMIT 1000`,
    },
  ];
  for (const metric of metrics) queries.push(metricQuery(metric, distinct));
  return queries;
}

function distinctEventsSql({ database, table, partitionKeys }: ArchiveQueryTarget): string {
  const today = partitionKeys
    .filter((key) => TODAY_BY_PATTERN[key.pattern] !== undefined)
    .map((key) => `${key.name} = ${TODAY_BY_PATTERN[key.pattern]}`);
  // The JSON SerDe reads an empty line (one follows every record that already ended in a
  // newline, see RawArchive) and a malformed line as a row of nulls: they are not events.
  const where = `\n    WHERE ${[...today, 'id IS NOT NULL'].join(' AND ')}`;
  return [
    'WITH distinct_events AS (',
    '  SELECT id, type, "time", source, data FROM (',
    '    SELECT *, row_number() OVER (PARTITION BY id ORDER BY "time") AS copy_number',
    `    FROM "${database}"."${table}"${where}`,
    '  )',
    '  WHERE copy_number = 1',
    ')',
  ].join('\n');
}

function metricQuery(metric: MetricDefinition, distinct: string): ArchiveQuery {
  const types = typeof metric.on === 'string' ? [metric.on] : metric.on;
  const groups = metric.groupBy.map((path) => ({ path, label: path.split('.').at(-1) ?? path }));
  const select = [
    `date_trunc('hour', from_iso8601_timestamp("time")) AS bucket_start`,
    ...groups.map(({ path, label }) => `${path} AS "${label}"`),
  ];
  const groupCount = select.length;
  for (const stat of metric.stats)
    select.push(`${statExpression(stat, metric.value)} AS "${stat}"`);
  const conditions = [`type IN (${types.map((type) => `'${type}'`).join(', ')})`];
  if (metric.value !== undefined) conditions.push(`${metric.value} IS NOT NULL`);
  const positions = Array.from({ length: groupCount }, (_, index) => index + 1).join(', ');
  const by = groups.length > 0 ? ` by ${groups.map(({ label }) => label).join(', ')}` : '';
  return {
    id: metric.name,
    name: `${metric.name}${by} per hour`,
    description: `Metric "${metric.name}" (${metric.stats.join(', ')}) recomputed from today's distinct archived events.`,
    queryString: [
      distinct,
      `SELECT\n  ${select.join(',\n  ')}`,
      'FROM distinct_events',
      `WHERE ${conditions.join(' AND ')}`,
      `GROUP BY ${positions}`,
      `ORDER BY ${positions}`,
    ].join('\n'),
  };
}

/**
 * The SQL of one statistic; percentiles use Athena's `approx_percentile` (Trino).
 * Sums and averages are taken over decimals, as the aggregates are: the table
 * reads values as doubles, and every value the handler accepts has at most 12
 * decimal places (`SUMMABLE_NUMBER_LIMITS`), so a cast to `DECIMAL(38, 12)`
 * gives back the value as written and the sum is exact (no `…98000000004`).
 */
function statExpression(stat: MetricStat, value: string | undefined): string {
  if (stat === 'count' || value === undefined) return 'count(*)';
  if (stat in PERCENTILE_QUANTILES) {
    return `approx_percentile(${value}, ${PERCENTILE_QUANTILES[stat as keyof typeof PERCENTILE_QUANTILES]})`;
  }
  if (stat === 'sum' || stat === 'avg') return `${stat}(CAST(${value} AS DECIMAL(38, 12)))`;
  return `${stat}(${value})`;
}
