import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { AggregateFigures } from '../core/aggregates/GroundTruth.js';
import { aggregateFiguresOf } from '../functions/aggregate/aggregateFiguresOf.js';
import { AGGREGATE_ATTRIBUTES as A } from '../functions/aggregate/DynamoAggregateStore.js';

/**
 * Reads every aggregate item of the table into a map keyed by `pk|sk`, the
 * keys {@link GroundTruth} uses, with histogram bucket counts where the metric
 * keeps them. A full scan of whole items (bucket attributes cannot be named
 * in a projection without knowing them): meant for verification runs, not
 * for dashboards.
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
        // Group registry items (see DynamoGroupRegistry) share the table but hold no counts.
        FilterExpression: 'attribute_exists(#cnt)',
        ExpressionAttributeNames: { '#cnt': A.count },
      }),
    );
    for (const item of page.Items ?? []) {
      items.set(`${item[A.partitionKey]?.S}|${item[A.sortKey]?.S}`, aggregateFiguresOf(item));
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}
