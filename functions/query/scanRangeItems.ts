import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { AGGREGATE_ATTRIBUTES as A } from '../aggregate/DynamoAggregateStore.js';
import type { RangeParameters } from './parseQueryParameters.js';
import type { AggregateSource } from './queryAggregates.js';

/**
 * Which attributes a range scan returns: `counts` the group and count;
 * `figures` also the bucket, sum, min and max; `whole` every attribute, for
 * the histogram buckets (`h:<key>`), whose names are not known in advance.
 */
export type RangeScanProjection = 'counts' | 'figures' | 'whole';

const PROJECTED: Record<RangeScanProjection, readonly (keyof typeof A)[]> = {
  counts: ['group', 'count'],
  figures: ['group', 'count', 'bucketStart', 'sum', 'min', 'max'],
  whole: [],
};

/**
 * Scans the table for a metric's aggregate items in a window and bucket
 * range and hands each one to `visit`, page by page. Items without `cnt`
 * (a histogram chunk that landed before its item's main update, dedupe
 * markers, group registries) are filtered out.
 *
 * Cost: the groups of a metric are not known in advance and the table has no
 * index by metric, so this reads, and is billed for, every item of the table
 * in 1 MB pages (0.5 read units per 4 KB, eventually consistent), whatever
 * the range and the projection; the filter and projection only shrink what
 * is sent back. Fine for tables of some thousands of items; a larger
 * deployment would add a GSI on (`metric`, `sk`).
 */
export async function scanRangeItems(
  source: AggregateSource,
  params: RangeParameters,
  projection: RangeScanProjection,
  visit: (item: Record<string, AttributeValue>) => void,
): Promise<void> {
  // DynamoDB refuses attribute names an expression does not use, so only the filter's and the projection's.
  const names: Record<string, string> = {
    '#metric': A.metric,
    '#win': A.window,
    '#bucket': A.bucketStart,
    '#cnt': A.count,
  };
  const projected = PROJECTED[projection].map((key) => {
    names[`#${A[key]}`] = A[key];
    return `#${A[key]}`;
  });
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await source.dynamodb.send(
      new ScanCommand({
        TableName: source.tableName,
        FilterExpression:
          '#metric = :metric AND #win = :win AND #bucket BETWEEN :from AND :to AND attribute_exists(#cnt)',
        ...(projected.length > 0 ? { ProjectionExpression: projected.join(', ') } : {}),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: {
          ':metric': { S: params.metric.name },
          ':win': { S: params.window },
          ':from': { S: new Date(params.firstBucketMs).toISOString() },
          ':to': { S: new Date(params.lastBucketMs).toISOString() },
        },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) visit(item);
    start = page.LastEvaluatedKey;
  } while (start);
}
