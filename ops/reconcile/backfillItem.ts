import { type AttributeValue, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { AggregateFigures } from '../../core/aggregates/GroundTruth.js';
import {
  AGGREGATE_ATTRIBUTES as A,
  isConditionFailure,
} from '../../functions/aggregate/DynamoAggregateStore.js';
import type { ItemDescription } from './repairItem.js';

/** What became of one backfilled item. */
export type BackfillOutcome = 'written' | 'existing';

/**
 * Writes one aggregate item of a newly declared metric, computed from the
 * archive, only if no item with its key exists yet (`attribute_not_exists`).
 * An existing item — the live handler already wrote part of that bucket, or
 * an earlier backfill did — is left alone and reported as `existing`; a
 * reconcile run with `--repair` corrects it if it lacks the archive's events.
 *
 * The item carries no watermark: the live handler's conditions treat a
 * missing watermark as "nothing applied from this shard yet", which holds,
 * since the backfill wrote no record position.
 */
export async function backfillItem(
  client: DynamoDBClient,
  tableName: string,
  key: string,
  figures: AggregateFigures,
  description: ItemDescription,
): Promise<BackfillOutcome> {
  const bar = key.indexOf('|');
  const item: Record<string, AttributeValue> = {
    [A.partitionKey]: { S: key.slice(0, bar) },
    [A.sortKey]: { S: key.slice(bar + 1) },
    [A.metric]: { S: description.metric },
    [A.group]: { S: description.group },
    [A.window]: { S: description.window },
    [A.bucketStart]: { S: description.bucket },
    [A.count]: { N: String(figures.count) },
  };
  if (description.expiresAt !== undefined) item[A.expiresAt] = { N: String(description.expiresAt) };
  if (figures.sum !== undefined) item[A.sum] = { N: figures.sum };
  if (figures.min !== undefined) item[A.min] = { N: String(figures.min) };
  if (figures.max !== undefined) item[A.max] = { N: String(figures.max) };
  for (const [bucket, count] of Object.entries(figures.buckets ?? {})) {
    if (count !== 0) item[`${A.histogramPrefix}${bucket}`] = { N: String(count) };
  }
  try {
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': A.partitionKey },
      }),
    );
    return 'written';
  } catch (error) {
    if (isConditionFailure(error)) return 'existing';
    throw error;
  }
}
