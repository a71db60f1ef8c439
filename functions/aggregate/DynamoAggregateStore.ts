import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { AggregateDelta } from '../../core/aggregates/AggregateFold.js';
import {
  type ChunkPart,
  chunkPartOf,
  chunkPartsOf,
  MAIN_CHUNK,
  packChunkParts,
} from './histogramChunks.js';

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
  /**
   * Prefix of the per-shard watermarks of histogram chunks, followed by the
   * chunk id, `:` and the shard id (for example `wmhp0:shardId-000000000000`).
   */
  chunkWatermarkPrefix: 'wmh',
  /** Prefix of histogram bucket counts, followed by the bucket key (for example `h:p186`, `h:z`). */
  histogramPrefix: 'h:',
} as const;

const A = AGGREGATE_ATTRIBUTES;

/** How many times a chunk is recomputed after finding part of it already applied. */
const MAX_REFOLD_ROUNDS = 3;

/** DynamoDB's limit on the length of one expression string, bytes. */
const MAX_EXPRESSION_LENGTH = 4_096;

/** What became of one delta. */
export type ApplyOutcome = 'applied' | 'already-applied';

/** The name of the watermark attribute of `chunk` for `shardId`. */
export function watermarkAttribute(chunk: string, shardId: string): string {
  return chunk === MAIN_CHUNK
    ? `${A.watermarkPrefix}${shardId}`
    : `${A.chunkWatermarkPrefix}${chunk}:${shardId}`;
}

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
 *
 * Histogram bucket counts are split into chunks by bucket index range (see
 * `histogramChunkOf`), each with its own per-shard watermark, so a delta too
 * large for one UpdateItem is still applied exactly once chunk by chunk.
 * Chunks are packed into as few updates as DynamoDB's expression limits allow;
 * an update's condition checks the watermark of every chunk it carries.
 */
export class DynamoAggregateStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  public constructor(client: DynamoDBClient, tableName: string) {
    this.#client = client;
    this.#tableName = tableName;
  }

  /**
   * Applies `delta` for records read from `shardId`. Updates are sent one
   * after another; if one fails, the chunks already written keep their
   * watermarks, so the replay adds only what is missing.
   *
   * @param refold recomputes the delta from records after a watermark; see `AggregateFold.refold`
   */
  public async apply(
    delta: AggregateDelta,
    shardId: string,
    refold: (delta: AggregateDelta, afterOrder: string) => AggregateDelta | undefined,
  ): Promise<ApplyOutcome> {
    let applied = false;
    for (const parts of packChunkParts(chunkPartsOf(delta))) {
      const stored = await this.#tryAdd(delta, parts, shardId);
      if (stored) {
        if (parts[0]?.chunk === MAIN_CHUNK) await this.#tightenExtremes(delta, stored);
        applied = true;
        continue;
      }
      // Part of this update was applied before (a replay): settle each chunk on its own watermark.
      for (const { chunk } of parts) {
        if (await this.#applyChunkAfterConflict(delta, chunk, shardId, refold)) applied = true;
      }
    }
    return applied ? 'applied' : 'already-applied';
  }

  /**
   * Reads the chunk's watermark and adds what the records after it contribute
   * to the chunk; `false` when they contribute nothing (already applied).
   */
  async #applyChunkAfterConflict(
    delta: AggregateDelta,
    chunk: string,
    shardId: string,
    refold: (delta: AggregateDelta, afterOrder: string) => AggregateDelta | undefined,
  ): Promise<boolean> {
    for (let round = 0; round <= MAX_REFOLD_ROUNDS; round++) {
      const watermark = await this.#readWatermark(delta, chunk, shardId);
      const remaining = watermark === undefined ? delta : refold(delta, watermark);
      const part = remaining && chunkPartOf(remaining, chunk);
      if (!remaining || !part) return false;
      const stored = await this.#tryAdd(remaining, [part], shardId);
      if (stored) {
        if (chunk === MAIN_CHUNK) await this.#tightenExtremes(remaining, stored);
        return true;
      }
    }
    throw new Error(
      `watermark of ${delta.pk} ${delta.sk} chunk ${chunk} kept moving under shard ${shardId}`,
    );
  }

  /**
   * One conditional update carrying `parts`: it adds their counts and moves
   * their watermarks only if every one of those watermarks lies before the
   * delta's first record. Returns the updated attributes, or `undefined` if
   * the condition failed.
   */
  async #tryAdd(
    delta: AggregateDelta,
    parts: readonly ChunkPart[],
    shardId: string,
  ): Promise<Record<string, AttributeValue> | undefined> {
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = {
      ':first': { S: delta.firstOrder },
      ':last': { S: delta.lastOrder },
    };
    const sets: string[] = [];
    const adds: string[] = [];
    const conditions: string[] = [];
    let withMain = false;
    parts.forEach((part, k) => {
      names[`#w${k}`] = watermarkAttribute(part.chunk, shardId);
      sets.push(`#w${k} = :last`);
      conditions.push(`(attribute_not_exists(#w${k}) OR #w${k} < :first)`);
      if (part.chunk === MAIN_CHUNK) withMain = true;
    });
    if (withMain) {
      Object.assign(names, {
        '#metric': A.metric,
        '#group': A.group,
        '#window': A.window,
        '#bucket': A.bucketStart,
        '#count': A.count,
      });
      Object.assign(values, {
        ':metric': { S: delta.metric },
        ':group': { S: delta.group },
        ':window': { S: delta.window },
        ':bucket': { S: new Date(delta.bucketStartMs).toISOString() },
        ':count': { N: String(delta.count) },
      });
      sets.push('#metric = :metric', '#group = :group', '#window = :window', '#bucket = :bucket');
      adds.push('#count :count');
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
    }
    let n = 0;
    for (const part of parts) {
      for (const [key, count] of part.buckets) {
        names[`#b${n}`] = `${A.histogramPrefix}${key}`;
        values[`:b${n}`] = { N: String(count) };
        adds.push(`#b${n} :b${n}`);
        n++;
      }
    }
    const updateExpression = `SET ${sets.join(', ')}${adds.length > 0 ? ` ADD ${adds.join(', ')}` : ''}`;
    const conditionExpression = conditions.join(' AND ');
    if (
      updateExpression.length > MAX_EXPRESSION_LENGTH ||
      conditionExpression.length > MAX_EXPRESSION_LENGTH
    ) {
      // The chunk width and packing limits are chosen so this cannot happen; fail loudly if it does.
      throw new RangeError(
        `update of ${delta.pk} ${delta.sk} is ${updateExpression.length} characters long ` +
          `(limit ${MAX_EXPRESSION_LENGTH}); chunks ${parts.map((p) => p.chunk).join(', ')}`,
      );
    }
    try {
      const result = await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: this.#key(delta),
          UpdateExpression: updateExpression,
          ConditionExpression: conditionExpression,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          // Only the main chunk needs the stored min and max back (to tighten them).
          ReturnValues: withMain ? 'UPDATED_NEW' : 'NONE',
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

  async #readWatermark(
    delta: AggregateDelta,
    chunk: string,
    shardId: string,
  ): Promise<string | undefined> {
    const attribute = watermarkAttribute(chunk, shardId);
    const result = await this.#client.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: this.#key(delta),
        ConsistentRead: true,
        ProjectionExpression: '#wm',
        ExpressionAttributeNames: { '#wm': attribute },
      }),
    );
    return result.Item?.[attribute]?.S;
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
