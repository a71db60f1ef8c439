import { aggregatePartitionKey, aggregateSortKey } from '../../core/aggregates/aggregateKey.js';
import { ALL_GROUP } from '../../core/aggregates/compileMetrics.js';
import { type AggregateFigures, mergeAggregateFigures } from '../../core/aggregates/GroundTruth.js';
import { summarizeAggregate } from '../../core/aggregates/summarizeAggregate.js';
import { PERCENTILE_STATS } from '../../core/config/metricStats.js';
import { aggregateFiguresOf } from '../aggregate/aggregateFiguresOf.js';
import { AGGREGATE_ATTRIBUTES as A } from '../aggregate/DynamoAggregateStore.js';
import { keptFigures, type SeriesParameters } from './parseQueryParameters.js';
import {
  type AggregateSource,
  type SeriesPoint,
  type SeriesResponse,
  seriesPointOf,
} from './queryAggregates.js';
import { readRangeItems } from './readRangeItems.js';
import { decodeSeriesCursor, encodeSeriesCursor } from './seriesCursor.js';

/**
 * One page of the total of a grouped metric (scope `total`): per bucket, the
 * figures of all its groups added up exactly as if they were one group.
 * Counts and the decimal sums add up exactly (`0.1` + `0.2` is `"0.3"`), min
 * and max are those over the groups, `avg` is the total sum over the total
 * count, and p50/p90/p99 are read from the groups' histograms merged bucket
 * by bucket, so they keep the histograms' 1 % bound (never an average of the
 * groups' percentiles). Events beyond the metric's `maxGroups`, kept in
 * `__other__`, are in the total too.
 *
 * A page covers at most `limit` consecutive buckets from the start of the
 * range, or from the bucket after the one `cursor` names; `nextCursor` is set
 * while the range goes on, even if the buckets left hold no events.
 * `groupCount` and `largestGroup` are over the whole range on every page.
 *
 * Cost: every page reads the metric's items of the whole range (see
 * `readRangeItems`), the same reads as one `GET /api/groups`: a total of `n`
 * buckets costs `ceil(n / limit)` such reads. Items are read whole when the
 * metric keeps percentiles. Memory: the merged
 * figures of at most `limit` buckets and one counter per group.
 *
 * @throws {QueryParameterError} when `cursor` is not a cursor of this total and range
 * @example
 * const page = await readTotalSeries(source, parseSeriesParameters(new URLSearchParams('metric=revenue&since=15m'), config, Date.now()));
 * page.groupCount; // 10
 */
export async function readTotalSeries(
  source: AggregateSource,
  params: SeriesParameters,
): Promise<SeriesResponse> {
  const pageFirstMs = pageStartOf(params);
  const pageLastMs = Math.min(
    params.lastBucketMs,
    pageFirstMs + (params.limit - 1) * params.windowMs,
  );
  // ISO 8601 strings of one format sort as the times they name.
  const pageFrom = new Date(pageFirstMs).toISOString();
  const pageTo = new Date(pageLastMs).toISOString();
  const kept = keptFigures(params.metric);
  const wholeItems = PERCENTILE_STATS.some((stat) => kept.has(stat));
  const byBucket = new Map<string, AggregateFigures>();
  const countByGroup = new Map<string, number>();
  // The whole range, not only this page's buckets: the group count then reads the same on
  // every page.
  await readRangeItems(source, params, wholeItems ? 'whole' : 'figures', (item) => {
    const group = item[A.group]?.S;
    const bucket = item[A.bucketStart]?.S;
    if (group === undefined || bucket === undefined) return;
    const figures = aggregateFiguresOf(item);
    countByGroup.set(group, (countByGroup.get(group) ?? 0) + figures.count);
    if (bucket < pageFrom || bucket > pageTo) return;
    const before = byBucket.get(bucket);
    byBucket.set(bucket, before === undefined ? figures : mergeAggregateFigures(before, figures));
  });
  const points: SeriesPoint[] = [...byBucket]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([bucket, figures]) => seriesPointOf(bucket, summarizeAggregate(figures), kept));
  const largestGroup = largestOf(countByGroup);
  return {
    metric: params.metric.name,
    group: ALL_GROUP,
    scope: 'total',
    window: params.window,
    groupBy: [...params.metric.groupBy],
    groupCount: countByGroup.size,
    ...(largestGroup === undefined ? {} : { largestGroup }),
    points,
    ...(pageLastMs < params.lastBucketMs
      ? { nextCursor: encodeSeriesCursor(totalKeyOf(params, pageLastMs)) }
      : {}),
  };
}

/**
 * The first bucket of the page: the range's, or the one after the bucket the
 * cursor names. A total's cursor has the shape of a series cursor on the
 * `*` partition, which a grouped metric never writes, so a cursor of one of
 * its groups' series is refused, and so is one of another metric or range.
 */
function pageStartOf(params: SeriesParameters): number {
  if (params.cursor === undefined) return params.firstBucketMs;
  const key = decodeSeriesCursor(params.cursor, {
    pk: aggregatePartitionKey(params.metric.name, ALL_GROUP),
    fromSk: aggregateSortKey(params.window, params.firstBucketMs),
    toSk: aggregateSortKey(params.window, params.lastBucketMs),
  });
  const sk = key[A.sortKey]?.S ?? '';
  return Date.parse(sk.slice(params.window.length + 1)) + params.windowMs;
}

function totalKeyOf(params: SeriesParameters, bucketMs: number) {
  return {
    [A.partitionKey]: { S: aggregatePartitionKey(params.metric.name, ALL_GROUP) },
    [A.sortKey]: { S: aggregateSortKey(params.window, bucketMs) },
  };
}

/** The group with the highest count; ties by name in code-point order. */
function largestOf(countByGroup: ReadonlyMap<string, number>): string | undefined {
  let largest: [string, number] | undefined;
  for (const entry of countByGroup) {
    if (
      largest === undefined ||
      entry[1] > largest[1] ||
      (entry[1] === largest[1] && entry[0] < largest[0])
    ) {
      largest = entry;
    }
  }
  return largest?.[0];
}
