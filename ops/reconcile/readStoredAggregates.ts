import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { AGGREGATE_ATTRIBUTES as A } from '../../functions/aggregate/DynamoAggregateStore.js';

/** A stored aggregate item as DynamoDB returns it, numbers as their exact decimal strings. */
export type StoredItem = Record<string, AttributeValue>;

/**
 * Reads the aggregate items of `metrics` whose bucket starts in
 * `[sinceMs, untilMs)`, keyed `pk|sk`. A Scan with a filter: the groups of a
 * metric are not known in advance (a stored group may be missing from the
 * archive), so every item of the table is read once and the filter keeps the
 * matching ones. Items whose counts a repair removed still match (they keep
 * their watermarks); callers treat them as absent.
 */
export async function readStoredAggregates(
  client: DynamoDBClient,
  tableName: string,
  metrics: readonly string[],
  sinceMs: number,
  untilMs: number,
): Promise<Map<string, StoredItem>> {
  const items = new Map<string, StoredItem>();
  const values: Record<string, AttributeValue> = {
    ':from': { S: new Date(sinceMs).toISOString() },
    ':to': { S: new Date(untilMs - 1).toISOString() },
  };
  metrics.forEach((metric, i) => {
    values[`:m${i}`] = { S: metric };
  });
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        ExclusiveStartKey: start,
        // ISO 8601 strings of one format order as the times they name.
        FilterExpression: `#metric IN (${metrics.map((_, i) => `:m${i}`).join(', ')}) AND #bucket BETWEEN :from AND :to`,
        ExpressionAttributeNames: { '#metric': A.metric, '#bucket': A.bucketStart },
        ExpressionAttributeValues: values,
        ConsistentRead: true,
      }),
    );
    for (const item of page.Items ?? []) {
      items.set(`${item[A.partitionKey]?.S}|${item[A.sortKey]?.S}`, item);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Whether a stored item holds any figure: a count or a histogram bucket. */
export function holdsFigures(item: StoredItem | undefined): boolean {
  if (!item) return false;
  if (item[A.count]?.N !== undefined) return true;
  return Object.entries(item).some(
    ([name, value]) => name.startsWith(A.histogramPrefix) && value.N !== undefined,
  );
}
