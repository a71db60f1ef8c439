import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { AggregateDelta } from '../../core/aggregates/AggregateFold.js';

/** Attribute names of an aggregate item; the query API and tests read the same names. */
export const AGGREGATE_ATTRIBUTES = {
  partitionKey: 'pk',
  sortKey: 'sk',
  metric: 'metric',
  group: 'grp',
  window: 'win',
  bucketStart: 'bucket',
  count: 'cnt',
  sum: 'sum',
  min: 'min',
  max: 'max',
  expiresAt: 'expiresAt',
  /** Prefix of the per-shard watermark attributes, followed by the shard id. */
  watermarkPrefix: 'wm:',
} as const;

const A = AGGREGATE_ATTRIBUTES;

/** How many times a delta is recomputed after finding part of it already applied. */
const MAX_REFOLD_ROUNDS = 3;

/** What became of one delta. */
export type ApplyOutcome = 'applied' | 'already-applied';

/**
 * Writes aggregate deltas to DynamoDB exactly once per shard position.
 *
 * Each item stores, per shard, the sequence order key of the last record it
 * has absorbed (its watermark). An update adds a delta only if the watermark
 * lies before the delta's first record, in the same conditional UpdateItem, so
 * a retried or replayed batch can never add the same record twice. When the
 * condition fails, the delta is recomputed from the records after the stored
 * watermark and tried again. Min and max are idempotent, so they are lowered or
 * raised by a separate conditional update only when the batch beats them.
 */
export class DynamoAggregateStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  public constructor(client: DynamoDBClient, tableName: string) {
    this.#client = client;
    this.#tableName = tableName;
  }

  /**
   * Applies `delta` for records read from `shardId`.
   *
   * @param refold recomputes the delta from records after a watermark; see `AggregateFold.refold`
   */
  public async apply(
    delta: AggregateDelta,
    shardId: string,
    refold: (delta: AggregateDelta, afterOrder: string) => AggregateDelta | undefined,
  ): Promise<ApplyOutcome> {
    let pending: AggregateDelta | undefined = delta;
    for (let round = 0; round <= MAX_REFOLD_ROUNDS && pending; round++) {
      const applied = await this.#tryAdd(pending, shardId);
      if (applied) {
        await this.#tightenExtremes(pending, applied);
        return 'applied';
      }
      const watermark = await this.#readWatermark(pending, shardId);
      pending = watermark === undefined ? pending : refold(delta, watermark);
    }
    if (pending) {
      throw new Error(`watermark of ${delta.pk} ${delta.sk} kept moving under shard ${shardId}`);
    }
    return 'already-applied';
  }

  /** The conditional add; returns the updated attributes, or `undefined` if the condition failed. */
  async #tryAdd(
    delta: AggregateDelta,
    shardId: string,
  ): Promise<Record<string, AttributeValue> | undefined> {
    const names: Record<string, string> = {
      '#wm': `${A.watermarkPrefix}${shardId}`,
      '#metric': A.metric,
      '#group': A.group,
      '#window': A.window,
      '#bucket': A.bucketStart,
      '#count': A.count,
    };
    const values: Record<string, AttributeValue> = {
      ':first': { S: delta.firstOrder },
      ':last': { S: delta.lastOrder },
      ':metric': { S: delta.metric },
      ':group': { S: delta.group },
      ':window': { S: delta.window },
      ':bucket': { S: new Date(delta.bucketStartMs).toISOString() },
      ':count': { N: String(delta.count) },
    };
    const sets = [
      '#wm = :last',
      '#metric = :metric',
      '#group = :group',
      '#window = :window',
      '#bucket = :bucket',
    ];
    const adds = ['#count :count'];
    if (delta.expiresAt !== undefined) {
      names['#exp'] = A.expiresAt;
      values[':exp'] = { N: String(delta.expiresAt) };
      sets.push('#exp = :exp');
    }
    if (delta.hasValue) {
      Object.assign(names, { '#sum': A.sum, '#min': A.min, '#max': A.max });
      Object.assign(values, {
        ':sum': { N: String(delta.sum) },
        ':min': { N: String(delta.min) },
        ':max': { N: String(delta.max) },
      });
      sets.push('#min = if_not_exists(#min, :min)', '#max = if_not_exists(#max, :max)');
      adds.push('#sum :sum');
    }
    try {
      const result = await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: this.#key(delta),
          UpdateExpression: `SET ${sets.join(', ')} ADD ${adds.join(', ')}`,
          ConditionExpression: 'attribute_not_exists(#wm) OR #wm < :first',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return result.Attributes ?? {};
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async #tightenExtremes(
    delta: AggregateDelta,
    stored: Record<string, AttributeValue>,
  ): Promise<void> {
    if (!delta.hasValue) return;
    const storedMin = Number(stored[A.min]?.N);
    const storedMax = Number(stored[A.max]?.N);
    const updates: Promise<void>[] = [];
    if (storedMin > delta.min) updates.push(this.#setIfBeyond(delta, A.min, delta.min, '>'));
    if (storedMax < delta.max) updates.push(this.#setIfBeyond(delta, A.max, delta.max, '<'));
    await Promise.all(updates);
  }

  /** Sets `attribute` to `value` if the stored value is beyond it; a lost race is harmless. */
  async #setIfBeyond(
    delta: AggregateDelta,
    attribute: string,
    value: number,
    op: '>' | '<',
  ): Promise<void> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: this.#key(delta),
          UpdateExpression: 'SET #a = :v',
          ConditionExpression: `#a ${op} :v`,
          ExpressionAttributeNames: { '#a': attribute },
          ExpressionAttributeValues: { ':v': { N: String(value) } },
        }),
      );
    } catch (error) {
      // Another writer already stored a value at least as extreme: nothing to do.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async #readWatermark(delta: AggregateDelta, shardId: string): Promise<string | undefined> {
    const result = await this.#client.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: this.#key(delta),
        ConsistentRead: true,
        ProjectionExpression: '#wm',
        ExpressionAttributeNames: { '#wm': `${A.watermarkPrefix}${shardId}` },
      }),
    );
    return result.Item?.[`${A.watermarkPrefix}${shardId}`]?.S;
  }

  #key(delta: AggregateDelta): Record<string, AttributeValue> {
    return { [A.partitionKey]: { S: delta.pk }, [A.sortKey]: { S: delta.sk } };
  }
}

/** Whether `error` is DynamoDB's refusal of a condition expression. */
export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === 'ConditionalCheckFailedException')
  );
}
