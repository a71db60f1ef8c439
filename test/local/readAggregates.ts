import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { AGGREGATE_ATTRIBUTES as A } from '../../functions/aggregate/DynamoAggregateStore.js';

/** An aggregate item as the tests compare it. */
export interface StoredAggregate {
  count: number;
  sum: number | undefined;
  min: number | undefined;
  max: number | undefined;
}

/** Reads the whole aggregates table into a map keyed by `pk|sk`. */
export async function readAggregates(
  client: DynamoDBClient,
  tableName: string,
): Promise<Map<string, StoredAggregate>> {
  const items = new Map<string, StoredAggregate>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }),
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
