import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { AggregateDelta } from '../../core/aggregates/AggregateFold.js';
import { laneZeroScope, type WriteScope } from '../../core/aggregates/ShardLedger.js';
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
  /** Prefix of the per-shard lane marker (see `ShardLedger`), followed by the shard id. */
  lanePrefix: 'ln:',
} as const;

const A = AGGREGATE_ATTRIBUTES;

/** How many times a chunk is recomputed after finding part of it already applied. */
const MAX_REFOLD_ROUNDS = 4;

/** DynamoDB's limit on the length of one expression string, bytes. */
const MAX_EXPRESSION_LENGTH = 4_096;

/** Items whose last known min and max are remembered, to guess an update's min/max condition right. */
const EXTREMES_CACHE_SIZE = 20_000;

/** What became of one delta. */
export type ApplyOutcome = 'applied' | 'already-applied';

/**
 * Thrown by a live write to an item that a newer lane of the same shard has
 * already written: this invocation is stale (it timed out and a later one,
 * past a give-up, took over), so it must not add anything.
 */
export class StaleLaneError extends Error {
  public constructor(
    public readonly pk: string,
    public readonly sk: string,
    public readonly lane: number,
    public readonly storedLane: number,
  ) {
    super(`${pk} ${sk} was written by lane ${storedLane}; this write is for lane ${lane}`);
    this.name = 'StaleLaneError';
  }
}

/**
 * The name of the watermark attribute of `chunk` for `shardId` in `lane`:
 * `wm:<shardId>` / `wmh<chunk>:<shardId>` for lane 0, with `~<lane>` appended
 * for later lanes (see `ShardLedger`).
 */
export function watermarkAttribute(chunk: string, shardId: string, lane = 0): string {
  const base =
    chunk === MAIN_CHUNK
      ? `${A.watermarkPrefix}${shardId}`
      : `${A.chunkWatermarkPrefix}${chunk}:${shardId}`;
  return lane === 0 ? base : `${base}~${lane}`;
}

/** The name of the item's lane marker for `shardId`. */
export function laneAttribute(shardId: string): string {
  return `${A.lanePrefix}${shardId}`;
}

/** Whether an update sets min and max (`set`: the delta beats the stored value) or leaves them. */
type ExtremeMode = 'set' | 'keep';

/** What a conditional update needs to know about the stored item. */
interface UpdateGuess {
  min: ExtremeMode;
  max: ExtremeMode;
}

/**
 * Writes aggregate deltas to DynamoDB exactly once per shard position.
 *
 * Each item stores, per shard and lane, the sequence order key of the last
 * record it has absorbed (its watermark). An update adds a delta only if
 * every watermark that may cover the delta's records lies before its first
 * record, in the same conditional UpdateItem that moves the watermark, so a
 * retried or replayed batch can never add the same record twice. When the
 * condition fails, the item's watermarks are read and the delta is recomputed
 * from the records after the highest of them.
 *
 * Min and max travel in the same conditional update: the update either sets
 * them (on the condition that the stored value is not more extreme) or leaves
 * them (on the condition that it is at least as extreme). The stored values
 * of recently written items are remembered to guess right; a wrong guess
 * fails the condition, the item is read and the update is sent again. So a
 * crash between any two writes can never leave a counted record out of min
 * or max.
 *
 * Histogram bucket counts are split into chunks by bucket index range (see
 * `histogramChunkOf`), each with its own watermarks, so a delta too large for
 * one UpdateItem is still applied exactly once chunk by chunk. Chunks are
 * packed into as few updates as DynamoDB's expression limits allow.
 */
export class DynamoAggregateStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  /** Last known min and max by `pk\0sk`, oldest first. */
  readonly #extremes = new Map<string, { min: number; max: number }>();

  public constructor(client: DynamoDBClient, tableName: string) {
    this.#client = client;
    this.#tableName = tableName;
  }

  /**
   * Applies `delta` for records read from a shard. Updates are sent one after
   * another; if one fails, the chunks already written keep their watermarks,
   * so the replay adds only what is missing.
   *
   * @param scope the shard, its lane and the older lanes to respect; a bare shard id means lane 0
   * @param refold recomputes the delta from records after a watermark; see `AggregateFold.refold`
   * @throws {StaleLaneError} when a newer lane of the shard has written the item (live writes only)
   */
  public async apply(
    delta: AggregateDelta,
    scope: WriteScope | string,
    refold: (delta: AggregateDelta, afterOrder: string) => AggregateDelta | undefined,
  ): Promise<ApplyOutcome> {
    const where = typeof scope === 'string' ? laneZeroScope(scope) : scope;
    let applied = false;
    for (const parts of packChunkParts(chunkPartsOf(delta))) {
      if (await this.#tryAdd(delta, parts, where, this.#guess(delta))) {
        applied = true;
        continue;
      }
      // A replay, a newer lane or a wrong min/max guess: settle each chunk on what is stored.
      for (const { chunk } of parts) {
        if (await this.#applyChunkAfterConflict(delta, chunk, where, refold)) applied = true;
      }
    }
    return applied ? 'applied' : 'already-applied';
  }

  /**
   * Reads the chunk's watermarks (and the item's min, max and lane marker)
   * and adds what the records after the highest watermark contribute to the
   * chunk; `false` when they contribute nothing (already applied).
   */
  async #applyChunkAfterConflict(
    delta: AggregateDelta,
    chunk: string,
    scope: WriteScope,
    refold: (delta: AggregateDelta, afterOrder: string) => AggregateDelta | undefined,
  ): Promise<boolean> {
    for (let round = 0; round <= MAX_REFOLD_ROUNDS; round++) {
      const stored = await this.#readState(delta, chunk, scope);
      if (scope.live && stored.lane !== undefined && stored.lane > scope.lane) {
        throw new StaleLaneError(delta.pk, delta.sk, scope.lane, stored.lane);
      }
      const remaining = stored.watermark === undefined ? delta : refold(delta, stored.watermark);
      const part = remaining && chunkPartOf(remaining, chunk);
      if (!remaining || !part) return false;
      const guess: UpdateGuess = {
        min: stored.min === undefined || stored.min >= remaining.min ? 'set' : 'keep',
        max: stored.max === undefined || stored.max <= remaining.max ? 'set' : 'keep',
      };
      if (await this.#tryAdd(remaining, [part], scope, guess)) return true;
    }
    throw new Error(
      `watermark of ${delta.pk} ${delta.sk} chunk ${chunk} kept moving under shard ${scope.shardId}`,
    );
  }

  /**
   * Whether the item has absorbed every record of `delta` already (the
   * watermark of every chunk the delta touches, in any lane that may cover
   * it, has reached the delta's last record), read consistently.
   */
  public async hasApplied(delta: AggregateDelta, scope: WriteScope): Promise<boolean> {
    for (const { chunk } of chunkPartsOf(delta)) {
      const { watermark } = await this.#readState(delta, chunk, scope);
      if (watermark === undefined || watermark < delta.lastOrder) return false;
    }
    return true;
  }

  /**
   * Whether DynamoDB would take `delta`'s values: its updates are sent with a
   * condition that can never hold, so nothing is written, but a value
   * DynamoDB cannot store is still refused (`ValidationException`, raised
   * before conditions are evaluated). Used to find the events to blame when
   * an update is refused.
   */
  public async wouldAccept(delta: AggregateDelta, scope: WriteScope): Promise<boolean> {
    for (const parts of packChunkParts(chunkPartsOf(delta))) {
      const { input } = this.#updateOf(delta, parts, scope, { min: 'set', max: 'set' });
      input.ExpressionAttributeNames['#probeKey'] = A.partitionKey;
      input.ConditionExpression = `(${input.ConditionExpression}) AND attribute_not_exists(#probeKey) AND attribute_exists(#probeKey)`;
      try {
        await this.#client.send(new UpdateItemCommand(input));
      } catch (error) {
        if (isConditionFailure(error)) continue;
        if (error instanceof Error && error.name === 'ValidationException') return false;
        throw error;
      }
    }
    return true;
  }

  /**
   * The conditional update carrying `parts`: it adds their counts and moves
   * their watermarks only if every watermark that may cover the delta lies
   * before its first record, and sets or keeps min and max as `guess` says,
   * on the condition that the guess is right.
   */
  #updateOf(
    delta: AggregateDelta,
    parts: readonly ChunkPart[],
    scope: WriteScope,
    guess: UpdateGuess,
  ): {
    withMain: boolean;
    input: UpdateItemCommandInput & {
      ExpressionAttributeNames: Record<string, string>;
      ConditionExpression: string;
    };
  } {
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = {
      ':first': { S: delta.firstOrder },
      ':last': { S: delta.lastOrder },
    };
    const sets: string[] = [];
    const adds: string[] = [];
    const conditions: string[] = [];
    const checked = lanesToCheck(delta, scope);
    let withMain = false;
    parts.forEach((part, k) => {
      names[`#w${k}`] = watermarkAttribute(part.chunk, scope.shardId, scope.lane);
      sets.push(`#w${k} = :last`);
      conditions.push(`(attribute_not_exists(#w${k}) OR #w${k} < :first)`);
      checked.forEach((lane, j) => {
        names[`#o${k}_${j}`] = watermarkAttribute(part.chunk, scope.shardId, lane);
        conditions.push(`(attribute_not_exists(#o${k}_${j}) OR #o${k}_${j} < :first)`);
      });
      if (part.chunk === MAIN_CHUNK) withMain = true;
    });
    if (scope.live) {
      names['#ln'] = laneAttribute(scope.shardId);
      values[':lane'] = { N: String(scope.lane) };
      sets.push('#ln = :lane');
      conditions.push('(attribute_not_exists(#ln) OR #ln <= :lane)');
    }
    if (withMain) {
      Object.assign(names, {
        '#metric': A.metric,
        '#group': A.group,
        '#window': A.window,
        '#bucket': A.bucketStart,
      });
      if (delta.count !== 0) names['#count'] = A.count;
      Object.assign(values, {
        ':metric': { S: delta.metric },
        ':group': { S: delta.group },
        ':window': { S: delta.window },
        ':bucket': { S: new Date(delta.bucketStartMs).toISOString() },
      });
      if (delta.count !== 0) values[':count'] = { N: String(delta.count) };
      sets.push('#metric = :metric', '#group = :group', '#window = :window', '#bucket = :bucket');
      if (delta.count !== 0) adds.push('#count :count');
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
        adds.push('#sum :sum');
        if (guess.min === 'set') {
          sets.push('#min = :min');
          conditions.push('(attribute_not_exists(#min) OR #min >= :min)');
        } else conditions.push('#min <= :min');
        if (guess.max === 'set') {
          sets.push('#max = :max');
          conditions.push('(attribute_not_exists(#max) OR #max <= :max)');
        } else conditions.push('#max >= :max');
      }
    }
    let n = 0;
    for (const part of parts) {
      for (const [key, count] of part.buckets) {
        // An empty update (moving watermarks only) leaves no zero-count buckets behind.
        if (count === 0) continue;
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
    return {
      withMain,
      input: {
        TableName: this.#tableName,
        Key: this.#key(delta),
        UpdateExpression: updateExpression,
        ConditionExpression: conditionExpression,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }

  /**
   * One conditional update carrying `parts` (see {@link #updateOf}); `false`
   * if its condition failed.
   */
  async #tryAdd(
    delta: AggregateDelta,
    parts: readonly ChunkPart[],
    scope: WriteScope,
    guess: UpdateGuess,
  ): Promise<boolean> {
    const { input, withMain } = this.#updateOf(delta, parts, scope, guess);
    try {
      await this.#client.send(new UpdateItemCommand(input));
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
    if (withMain && delta.hasValue) this.#rememberExtremes(delta, guess);
    return true;
  }

  /** The min/max mode most likely right for `delta`, from the item's last known values. */
  #guess(delta: AggregateDelta): UpdateGuess {
    const known = this.#extremes.get(extremesKey(delta));
    if (!known) return { min: 'set', max: 'set' };
    return {
      min: delta.min <= known.min ? 'set' : 'keep',
      max: delta.max >= known.max ? 'set' : 'keep',
    };
  }

  /** What an update that held `guess` tells of the item's min and max. */
  #rememberExtremes(delta: AggregateDelta, guess: UpdateGuess): void {
    const known = this.#extremes.get(extremesKey(delta));
    this.#remember(delta, {
      min: guess.min === 'set' || !known ? delta.min : known.min,
      max: guess.max === 'set' || !known ? delta.max : known.max,
    });
  }

  /** Stores the item's last known min and max, most recent last, evicting the oldest. */
  #remember(delta: AggregateDelta, extremes: { min: number; max: number }): void {
    const key = extremesKey(delta);
    this.#extremes.delete(key);
    this.#extremes.set(key, extremes);
    if (this.#extremes.size > EXTREMES_CACHE_SIZE) {
      const oldest = this.#extremes.keys().next().value;
      if (oldest !== undefined) this.#extremes.delete(oldest);
    }
  }

  /**
   * The highest watermark of `chunk` among the lanes that may cover the
   * delta, and the item's min, max and lane marker, read consistently.
   */
  async #readState(
    delta: AggregateDelta,
    chunk: string,
    scope: WriteScope,
  ): Promise<{ watermark?: string; min?: number; max?: number; lane?: number }> {
    const lanes = [scope.lane, ...lanesToCheck(delta, scope)];
    const names: Record<string, string> = {
      '#min': A.min,
      '#max': A.max,
      '#ln': laneAttribute(scope.shardId),
    };
    lanes.forEach((lane, j) => {
      names[`#w${j}`] = watermarkAttribute(chunk, scope.shardId, lane);
    });
    const result = await this.#client.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: this.#key(delta),
        ConsistentRead: true,
        ProjectionExpression: Object.keys(names).join(', '),
        ExpressionAttributeNames: names,
      }),
    );
    const item = result.Item ?? {};
    let watermark: string | undefined;
    for (const lane of lanes) {
      const value = item[watermarkAttribute(chunk, scope.shardId, lane)]?.S;
      if (value !== undefined && (watermark === undefined || value > watermark)) watermark = value;
    }
    const number = (attribute: string) => {
      const text = item[attribute]?.N;
      return text === undefined ? undefined : Number(text);
    };
    const min = number(A.min);
    const max = number(A.max);
    if (min !== undefined && max !== undefined) this.#remember(delta, { min, max });
    const lane = number(laneAttribute(scope.shardId));
    return {
      ...(watermark === undefined ? {} : { watermark }),
      ...(min === undefined ? {} : { min }),
      ...(max === undefined ? {} : { max }),
      ...(lane === undefined ? {} : { lane }),
    };
  }

  #key(delta: AggregateDelta): Record<string, AttributeValue> {
    return { [A.partitionKey]: { S: delta.pk }, [A.sortKey]: { S: delta.sk } };
  }
}

/** The key of an item in the min/max cache. */
function extremesKey(delta: AggregateDelta): string {
  return `${delta.pk}\u0000${delta.sk}`;
}

/** The older lanes whose watermarks may cover records of `delta`. */
function lanesToCheck(delta: AggregateDelta, scope: WriteScope): number[] {
  return scope.olderLanes.filter((l) => l.through >= delta.firstOrder).map((l) => l.lane);
}

/** Whether `error` is DynamoDB's refusal of a condition expression. */
export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === 'ConditionalCheckFailedException')
  );
}
