import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { AggregateFigures } from '../core/aggregates/GroundTruth.js';
import { AGGREGATE_ATTRIBUTES as A } from '../functions/aggregate/DynamoAggregateStore.js';

/**
 * Reads every aggregate item of the table into a map keyed by `pk|sk`, the
 * keys {@link GroundTruth} uses. A full scan: meant for verification runs,
 * not for dashboards.
 */
export async function scanAggregates(
  client: DynamoDBClient,
  tableName: string,
): Promise<Map<string, AggregateFigures>> {
  const items = new Map<string, AggregateFigures>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        ExclusiveStartKey: start,
        ProjectionExpression: '#pk, #sk, #cnt, #sum, #min, #max',
        // Group registry items (see DynamoGroupRegistry) share the table but hold no counts.
        FilterExpression: 'attribute_exists(#cnt)',
        ExpressionAttributeNames: {
          '#pk': A.partitionKey,
          '#sk': A.sortKey,
          '#cnt': A.count,
          '#sum': A.sum,
          '#min': A.min,
          '#max': A.max,
        },
      }),
    );
    for (const item of page.Items ?? []) {
      const num = (name: string) =>
        item[name]?.N === undefined ? undefined : Number(item[name]?.N);
      items.set(`${item[A.partitionKey]?.S}|${item[A.sortKey]?.S}`, {
        count: num(A.count) ?? 0,
        sum: num(A.sum),
        min: num(A.min),
        max: num(A.max),
      });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}
