import { type AttributeValue, type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { aggregatePartitionKey, aggregateSortKey } from '../../core/aggregates/aggregateKey.js';
import type { AggregateSummary } from '../../core/aggregates/summarizeAggregate.js';
import { PERCENTILE_STATS } from '../../core/config/metricStats.js';
import { addDecimalStrings } from '../../core/decimal/addDecimalStrings.js';
import { canonicalDecimal } from '../../core/decimal/canonicalDecimal.js';
import { compareDecimalStrings } from '../../core/decimal/compareDecimalStrings.js';
import { divideDecimal } from '../../core/decimal/divideDecimal.js';
import { readAggregateSummary } from '../aggregate/aggregateFiguresOf.js';
import { AGGREGATE_ATTRIBUTES as A } from '../aggregate/DynamoAggregateStore.js';
import {
  type GroupsParameters,
  keptFigures,
  type RangeParameters,
  type SeriesParameters,
  type SeriesScope,
  type TopParameters,
} from './parseQueryParameters.js';
import type { QuerySettings } from './QuerySettings.js';
import { readRangeItems } from './readRangeItems.js';
import { decodeSeriesCursor, encodeSeriesCursor } from './seriesCursor.js';

/** Where the aggregates are read from. */
export interface AggregateSource {
  dynamodb: DynamoDBClient;
  tableName: string;
  /**
   * Most items per page of the Queries that read a range (DynamoDB's
   * `Limit`) and keys per BatchGetItem, to exercise paging in tests.
   *
   * @default - pages of up to 1 MB, 100 keys per BatchGetItem
   */
  pageLimit?: number;
}

/** One declared metric, as `GET /api/metrics` lists it. */
export interface MetricDescription {
  name: string;
  on: string[];
  value?: string;
  groupBy: string[];
  stats: string[];
  windows: string[];
}

/** Body of `GET /api/metrics`. */
export interface MetricsResponse {
  metrics: MetricDescription[];
}

/** Body of `GET /api/groups`. */
export interface GroupsResponse {
  metric: string;
  window: string;
  groups: { group: string; count: number }[];
}

/**
 * One bucket of a series; figures the metric does not keep are left out.
 * `sum` and `avg` are JSON numbers, the doubles nearest to the exact figures
 * (what a JavaScript client can hold); `sumDecimal` is the stored sum,
 * exactly, as a decimal string (`"39411.6"`), and `avgDecimal` is
 * `sum / count` in decimal, exact or rounded to 38 significant digits.
 */
export interface SeriesPoint {
  bucket: string;
  count: number;
  sum?: number;
  avg?: number;
  min?: number;
  max?: number;
  p50?: number;
  p90?: number;
  p99?: number;
  sumDecimal?: string;
  avgDecimal?: string;
}

/**
 * Body of `GET /api/series`. With scope `total` (the metric's groups added
 * up per bucket), `group` is `*` and `groupBy`, `groupCount` and
 * `largestGroup` say what was added up.
 */
export interface SeriesResponse {
  metric: string;
  /** The stored group read, or `*` for a total. */
  group: string;
  scope: SeriesScope;
  window: string;
  /** Scope `total`: the metric's `groupBy` fields. */
  groupBy?: string[];
  /** Scope `total`: how many groups have events in the range (all pages, not only this one). */
  groupCount?: number;
  /** Scope `total`: the group with the most events in the range (ties by name), to drill into. */
  largestGroup?: string;
  points: SeriesPoint[];
  nextCursor?: string;
}

/**
 * One group's figures combined over a range; `sumDecimal` and `avgDecimal`
 * as in {@link SeriesPoint} (the sum of the range's stored sums, exactly).
 */
export interface TopGroup {
  group: string;
  count: number;
  sum?: number;
  avg?: number;
  min?: number;
  max?: number;
  sumDecimal?: string;
  avgDecimal?: string;
}

/** Body of `GET /api/top`. */
export interface TopResponse {
  metric: string;
  window: string;
  by: string;
  groups: TopGroup[];
}

const SERIES_FIGURES = ['sum', 'avg', 'min', 'max', ...PERCENTILE_STATS] as const;
const TOP_FIGURES = ['sum', 'avg', 'min', 'max'] as const;
/** The exact decimal form of a figure, carried next to its number. */
const DECIMAL_FIGURES = { sum: 'sumDecimal', avg: 'avgDecimal' } as const;
/** Attributes a series point needs when the metric keeps no percentiles. */
const FIGURE_NAMES = {
  '#bucket': A.bucketStart,
  '#cnt': A.count,
  '#sum': A.sum,
  '#min': A.min,
  '#max': A.max,
} as const;

/** The declared metrics, as `GET /api/metrics` answers. */
export function listMetrics(settings: QuerySettings): MetricsResponse {
  return {
    metrics: settings.metrics.map((metric) => ({
      name: metric.name,
      on: typeof metric.on === 'string' ? [metric.on] : [...metric.on],
      ...(metric.value === undefined ? {} : { value: metric.value }),
      groupBy: [...metric.groupBy],
      stats: [...metric.stats],
      windows: [...metric.windows],
    })),
  };
}

/**
 * One page of a stored group's series (scope `group`; for the total of a
 * grouped metric see `readTotalSeries`): a Query on `pk = <metric>#<group>` with
 * `sk BETWEEN <window>#<first bucket> AND <window>#<last bucket>`, ascending,
 * at most `limit` items. `nextCursor` is set when DynamoDB has more to read
 * (it may then yield an empty last page). Items are read whole when the
 * metric keeps percentiles (their histogram attributes are not known by name
 * in advance), otherwise only the figures.
 *
 * @throws {QueryParameterError} when `cursor` does not belong to this series and range
 * @example
 * const page = await readSeries(source, parseSeriesParameters(query, config, Date.now()));
 */
export async function readSeries(
  source: AggregateSource,
  params: SeriesParameters,
): Promise<SeriesResponse> {
  const pk = aggregatePartitionKey(params.metric.name, params.group);
  const fromSk = aggregateSortKey(params.window, params.firstBucketMs);
  const toSk = aggregateSortKey(params.window, params.lastBucketMs);
  const kept = keptFigures(params.metric);
  const wholeItems = PERCENTILE_STATS.some((stat) => kept.has(stat));
  const page = await source.dynamodb.send(
    new QueryCommand({
      TableName: source.tableName,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: {
        '#pk': A.partitionKey,
        '#sk': A.sortKey,
        ...(wholeItems ? {} : FIGURE_NAMES),
      },
      ExpressionAttributeValues: { ':pk': { S: pk }, ':from': { S: fromSk }, ':to': { S: toSk } },
      ...(wholeItems
        ? {}
        : { ProjectionExpression: `#pk, #sk, ${Object.keys(FIGURE_NAMES).join(', ')}` }),
      ScanIndexForward: true,
      Limit: params.limit,
      ...(params.cursor === undefined
        ? {}
        : { ExclusiveStartKey: decodeSeriesCursor(params.cursor, { pk, fromSk, toSk }) }),
    }),
  );
  const points: SeriesPoint[] = [];
  for (const item of page.Items ?? []) {
    if (item[A.count]?.N === undefined) continue;
    const bucket =
      item[A.bucketStart]?.S ?? (item[A.sortKey]?.S ?? '').slice(params.window.length + 1);
    points.push(seriesPointOf(bucket, readAggregateSummary(item), kept));
  }
  return {
    metric: params.metric.name,
    group: params.group,
    scope: 'group',
    window: params.window,
    points,
    ...(page.LastEvaluatedKey ? { nextCursor: encodeSeriesCursor(page.LastEvaluatedKey) } : {}),
  };
}

/**
 * A bucket's point: its count and the figures of `summary` the metric keeps
 * (`kept`, see `keptFigures`), with the exact decimals next to sum and avg.
 */
export function seriesPointOf(
  bucket: string,
  summary: AggregateSummary,
  kept: ReadonlySet<string>,
): SeriesPoint {
  const point: SeriesPoint = { bucket, count: summary.count };
  for (const figure of SERIES_FIGURES) {
    const value = summary[figure];
    if (kept.has(figure) && value !== undefined) point[figure] = value;
  }
  for (const [figure, name] of Object.entries(DECIMAL_FIGURES)) {
    const value = summary[name];
    if (kept.has(figure) && value !== undefined) point[name] = value;
  }
  return point;
}

/**
 * The groups a metric has items for in a window and range, with their event
 * counts, most first.
 *
 * Cost: the metric's items in the window and range, found through the
 * `byMetric` index and read by key (see `readRangeItems`): it grows with the
 * metric's groups × buckets in the range, not with the rest of the table.
 */
export async function listGroups(
  source: AggregateSource,
  params: GroupsParameters,
): Promise<GroupsResponse> {
  const combined = await combineRange(source, params, false);
  const groups = [...combined.values()]
    .map(({ group, count }) => ({ group, count }))
    .sort((a, b) => b.count - a.count || compare(a.group, b.group));
  return { metric: params.metric.name, window: params.window, groups };
}

/**
 * The top groups of a metric in a window and range, ranked by `by`
 * (descending, ties by group name): counts and sums added over the range
 * (sums exactly, in decimal, and ranked by the exact decimals), min and max
 * combined, `avg = sum / count`.
 *
 * Cost: the same reads as {@link listGroups}.
 */
export async function topGroups(
  source: AggregateSource,
  params: TopParameters,
): Promise<TopResponse> {
  const kept = keptFigures(params.metric);
  const combined = await combineRange(source, params, params.metric.value !== undefined);
  const groups: TopGroup[] = [...combined.values()].map((figures) => {
    const top: TopGroup = { group: figures.group, count: figures.count };
    const sumDecimal = figures.sum;
    const avgDecimal =
      sumDecimal === undefined || figures.count === 0
        ? undefined
        : divideDecimal(sumDecimal, figures.count);
    const values = {
      sum: sumDecimal === undefined ? undefined : Number(sumDecimal),
      avg: avgDecimal === undefined ? undefined : Number(avgDecimal),
      min: figures.min,
      max: figures.max,
    };
    for (const figure of TOP_FIGURES) {
      const value = values[figure];
      if (kept.has(figure) && value !== undefined) top[figure] = value;
    }
    if (kept.has('sum') && sumDecimal !== undefined) top.sumDecimal = sumDecimal;
    if (kept.has('avg') && avgDecimal !== undefined) top.avgDecimal = avgDecimal;
    return top;
  });
  groups.sort((a, b) => byFigure(b, a, params.by) || compare(a.group, b.group));
  return {
    metric: params.metric.name,
    window: params.window,
    by: params.by,
    groups: groups.slice(0, params.limit),
  };
}

/**
 * `a`'s figure against `b`'s, for ranking: sums and averages by their exact
 * decimals; a group without the figure ranks below every group with it.
 */
function byFigure(a: TopGroup, b: TopGroup, figure: TopParameters['by']): number {
  if (figure === 'sum' || figure === 'avg') {
    const x = a[DECIMAL_FIGURES[figure]];
    const y = b[DECIMAL_FIGURES[figure]];
    if (x === undefined || y === undefined)
      return (x === undefined ? 0 : 1) - (y === undefined ? 0 : 1);
    return compareDecimalStrings(x, y);
  }
  return (a[figure] ?? Number.NEGATIVE_INFINITY) - (b[figure] ?? Number.NEGATIVE_INFINITY);
}

/** Figures of one group combined over a range; the sum exact, in canonical decimal form. */
interface CombinedFigures {
  group: string;
  count: number;
  sum: string | undefined;
  min: number | undefined;
  max: number | undefined;
}

/**
 * The metric's items in the window and range combined per group (see
 * {@link readRangeItems}).
 */
async function combineRange(
  source: AggregateSource,
  params: RangeParameters,
  withValues: boolean,
): Promise<Map<string, CombinedFigures>> {
  const combined = new Map<string, CombinedFigures>();
  await readRangeItems(source, params, withValues ? 'figures' : 'counts', (item) => {
    const group = item[A.group]?.S;
    const countText = item[A.count]?.N;
    if (group === undefined || countText === undefined) return;
    const entry = combined.get(group) ?? {
      group,
      count: 0,
      sum: undefined,
      min: undefined,
      max: undefined,
    };
    entry.count += Number(countText);
    const sum = item[A.sum]?.N;
    const min = numberOf(item[A.min]);
    const max = numberOf(item[A.max]);
    if (sum !== undefined) {
      entry.sum =
        entry.sum === undefined ? canonicalDecimal(sum) : addDecimalStrings(entry.sum, sum);
    }
    if (min !== undefined) entry.min = Math.min(entry.min ?? min, min);
    if (max !== undefined) entry.max = Math.max(entry.max ?? max, max);
    combined.set(group, entry);
  });
  return combined;
}

function numberOf(value: AttributeValue | undefined): number | undefined {
  return value?.N === undefined ? undefined : Number(value.N);
}

/** Code-point order, the order DynamoDB sorts strings in, independent of the locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
