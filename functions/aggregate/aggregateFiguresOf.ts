import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AggregateFigures } from '../../core/aggregates/GroundTruth.js';
import {
  type AggregateSummary,
  summarizeAggregate,
} from '../../core/aggregates/summarizeAggregate.js';
import { canonicalDecimal } from '../../core/decimal/canonicalDecimal.js';
import { AGGREGATE_ATTRIBUTES as A } from './DynamoAggregateStore.js';

/**
 * The figures a stored aggregate item holds: count, sum, min, max and its
 * histogram bucket counts (attributes `h:<key>`) when the metric keeps
 * percentiles. Watermarks and descriptive attributes are left out. The sum
 * is the stored decimal, exactly, in canonical form (`1E+2` reads as `'100'`).
 */
export function aggregateFiguresOf(item: Record<string, AttributeValue>): AggregateFigures {
  const num = (name: string) => (item[name]?.N === undefined ? undefined : Number(item[name]?.N));
  const sum = item[A.sum]?.N;
  const figures: AggregateFigures = {
    count: num(A.count) ?? 0,
    sum: sum === undefined ? undefined : canonicalDecimal(sum),
    min: num(A.min),
    max: num(A.max),
  };
  for (const [name, value] of Object.entries(item)) {
    if (!name.startsWith(A.histogramPrefix) || value.N === undefined) continue;
    figures.buckets ??= {};
    figures.buckets[name.slice(A.histogramPrefix.length)] = Number(value.N);
  }
  return figures;
}

/**
 * The summary of a stored aggregate item: count, sum, min, max, avg (also
 * as exact decimals) and p50/p90/p99 within 1 % (see `summarizeAggregate`).
 *
 * @example
 * const { Item } = await dynamodb.send(new GetItemCommand({ TableName, Key }));
 * if (Item) readAggregateSummary(Item).p99;
 */
export function readAggregateSummary(item: Record<string, AttributeValue>): AggregateSummary {
  return summarizeAggregate(aggregateFiguresOf(item));
}
