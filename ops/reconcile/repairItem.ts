import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { ZERO_BUCKET_KEY } from '../../core/aggregates/aggregateHistogram.js';
import type { AggregateFigures } from '../../core/aggregates/GroundTruth.js';
import { aggregateFiguresOf } from '../../functions/aggregate/aggregateFiguresOf.js';
import {
  AGGREGATE_ATTRIBUTES as A,
  isConditionFailure,
} from '../../functions/aggregate/DynamoAggregateStore.js';
import { decimalDifference } from './decimalDifference.js';
import { RepairConflictError } from './errors.js';
import { sumsAgree } from './findDrift.js';
import { holdsFigures, type StoredItem } from './readStoredAggregates.js';

/** Conditional attempts per item before giving up on it. */
const DEFAULT_MAX_ATTEMPTS = 5;

/**
 * Histogram buckets corrected per UpdateItem. Each costs an ADD or REMOVE and
 * a condition (`#aN = :vN AND`, about 20 characters, two operators), so 60
 * stay far inside DynamoDB's 4 KB per expression and 300 operators.
 */
const BUCKETS_PER_UPDATE = 60;

/** The descriptive attributes an item created by a repair gets, as the handler writes them. */
export interface ItemDescription {
  metric: string;
  group: string;
  window: string;
  /** Bucket start, ISO 8601. */
  bucket: string;
  /** Unix seconds after which the item may expire; `undefined` keeps it. */
  expiresAt: number | undefined;
}

/** Options of {@link repairItem}. */
export interface RepairItemOptions {
  client: DynamoDBClient;
  tableName: string;
  /** @default 5 */
  maxAttempts?: number;
  /**
   * Called after each read, before the item's conditional writes: lets a
   * test land a concurrent write exactly between the two.
   */
  beforeWrite?: (key: string, attempt: number) => Promise<void>;
}

/** What a repair did to one item. */
export interface RepairOutcome {
  key: string;
  /** `in-sync`: the fresh read already matched (someone else fixed it, or live writes did). */
  status: 'repaired' | 'in-sync';
  /** Reads made (one per attempt). */
  attempts: number;
  /** Conditional writes refused because the item changed after it was read. */
  conflicts: number;
  /** UpdateItem calls that succeeded. */
  updates: number;
}

/**
 * Brings one aggregate item to the figures the archive implies, safely while
 * the live handler keeps writing to the table.
 *
 * It reads the item (consistent read), computes the correction — expected
 * minus stored for count, sum and each histogram bucket, the exact min and
 * max — and applies it with conditional UpdateItems that `ADD` the deltas
 * only if the stored count and sum (and each bucket it changes, and min/max
 * where it sets them) still hold the values it read. If a condition fails,
 * it reads again and recomputes, at most `maxAttempts` times.
 *
 * Why this is safe with live writers:
 * - The live handler only ever `ADD`s to `cnt`, `sum` and buckets, and
 *   `ADD` is commutative: a correction `+d` and a live `+x` give the same
 *   result in either order. What would break exactness is a correction
 *   computed from a stale read; every live write to an item adds to `cnt`
 *   (and to `sum` for value metrics), so the condition on the read values
 *   refuses the correction whenever a live write landed between the read and
 *   the write, and the retry computes it from the new values.
 * - Buckets are written by live updates apart from `cnt` (large histograms
 *   take several updates), so each corrected bucket is guarded by its own
 *   read value too.
 * - Min and max are `SET` only if they still hold the value read; the
 *   handler only ever lowers min and raises max conditionally, so a lost race
 *   is seen and retried, never overwritten.
 * - The per-shard watermarks `wm:…` and `wmh…:…` are never read or written:
 *   the handler's exactly-once replay protection is untouched, and a batch
 *   replayed after a repair is still refused or re-folded as before.
 * - A repair that stops half-way leaves some updates applied; the next read
 *   sees them, so running it again finishes the job and never applies a
 *   correction twice.
 *
 * What the condition cannot see is a record that was aggregated but is not
 * in the archive yet (Firehose's buffer): that is why only buckets that
 * ended longer ago than the buffering interval plus a margin are judged.
 * Corrections to zero `REMOVE` the figure instead of leaving a 0, so a
 * repaired item reads exactly like one the handler wrote.
 *
 * @throws {RepairConflictError} when the item kept changing for `maxAttempts` reads
 */
export async function repairItem(
  key: string,
  expected: AggregateFigures | undefined,
  description: ItemDescription,
  options: RepairItemOptions,
): Promise<RepairOutcome> {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const [pk, sk] = [key.slice(0, key.indexOf('|')), key.slice(key.indexOf('|') + 1)];
  const itemKey = { [A.partitionKey]: { S: pk }, [A.sortKey]: { S: sk } };
  let conflicts = 0;
  let updates = 0;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const read = await options.client.send(
      new GetItemCommand({ TableName: options.tableName, Key: itemKey, ConsistentRead: true }),
    );
    const plan = correctionUpdates(expected, read.Item, description);
    if (plan.length === 0) {
      return {
        key,
        status: updates > 0 ? 'repaired' : 'in-sync',
        attempts: attempt,
        conflicts,
        updates,
      };
    }
    await options.beforeWrite?.(key, attempt);
    try {
      for (const update of plan) {
        await options.client.send(
          new UpdateItemCommand({ TableName: options.tableName, Key: itemKey, ...update }),
        );
        updates++;
      }
      return { key, status: 'repaired', attempts: attempt, conflicts, updates };
    } catch (error) {
      // The item changed after it was read: read it again and recompute.
      if (!isConditionFailure(error)) throw error;
      conflicts++;
    }
  }
  throw new RepairConflictError(key, maxAttempts);
}

/** One UpdateItem's expressions, without table and key. */
export type CorrectionUpdate = Pick<
  UpdateItemCommandInput,
  | 'UpdateExpression'
  | 'ConditionExpression'
  | 'ExpressionAttributeNames'
  | 'ExpressionAttributeValues'
>;

/**
 * The conditional updates that turn `stored` into `expected`: histogram
 * buckets first, in groups of {@link BUCKETS_PER_UPDATE}, then one update of
 * count, sum, min, max, the zero bucket and, for a new item, its descriptive
 * attributes. Every update is guarded by the read count and sum and by the
 * read value of each attribute it changes. Empty when nothing differs.
 */
export function correctionUpdates(
  expected: AggregateFigures | undefined,
  stored: StoredItem | undefined,
  description: ItemDescription,
): CorrectionUpdate[] {
  const raw = stored ?? {};
  const got = holdsFigures(stored) ? aggregateFiguresOf(raw) : undefined;
  const want = expected ?? { count: 0, sum: undefined, min: undefined, max: undefined };
  const bucketKeys = new Set([
    ...Object.keys(want.buckets ?? {}),
    ...Object.keys(got?.buckets ?? {}),
  ]);
  const changedBuckets = [...bucketKeys]
    .filter((k) => (want.buckets?.[k] ?? 0) !== (got?.buckets?.[k] ?? 0))
    .sort();
  const updates: CorrectionUpdate[] = [];
  const histogramOnly = changedBuckets.filter((k) => k !== ZERO_BUCKET_KEY);
  for (let i = 0; i < histogramOnly.length; i += BUCKETS_PER_UPDATE) {
    const update = new ConditionalUpdate(raw);
    update.guard(A.count);
    update.guard(A.sum);
    for (const bucket of histogramOnly.slice(i, i + BUCKETS_PER_UPDATE)) {
      update.correctCount(`${A.histogramPrefix}${bucket}`, want.buckets?.[bucket] ?? 0);
    }
    updates.push(update.build());
  }

  const main = new ConditionalUpdate(raw);
  main.guard(A.count);
  main.guard(A.sum);
  if (want.count !== (got?.count ?? 0)) main.correctCount(A.count, want.count);
  if (!sumsAgree(want.sum, got?.sum)) main.correctSum(want.sum);
  if (want.min !== got?.min) main.replace(A.min, want.min);
  if (want.max !== got?.max) main.replace(A.max, want.max);
  if (changedBuckets.includes(ZERO_BUCKET_KEY)) {
    main.correctCount(
      `${A.histogramPrefix}${ZERO_BUCKET_KEY}`,
      want.buckets?.[ZERO_BUCKET_KEY] ?? 0,
    );
  }
  if (main.changes > 0 && expected && raw[A.metric] === undefined) {
    main.set(A.metric, { S: description.metric });
    main.set(A.group, { S: description.group });
    main.set(A.window, { S: description.window });
    main.set(A.bucketStart, { S: description.bucket });
    if (description.expiresAt !== undefined) {
      main.set(A.expiresAt, { N: String(description.expiresAt) });
    }
  }
  if (main.changes > 0) updates.push(main.build());
  return updates;
}

/** Builds one UpdateItem whose condition is that every attribute it relies on still holds its read value. */
class ConditionalUpdate {
  readonly #read: StoredItem;
  readonly #names: Record<string, string> = {};
  readonly #values: Record<string, AttributeValue> = {};
  readonly #sets: string[] = [];
  readonly #removes: string[] = [];
  readonly #adds: string[] = [];
  readonly #conditions = new Map<string, string>();
  #aliases = 0;
  /** Actions other than descriptive SETs. */
  public changes = 0;

  public constructor(read: StoredItem) {
    this.#read = read;
  }

  /** Requires `attribute` to hold what was read (or to be absent, if it was). */
  public guard(attribute: string): string {
    const name = this.#alias(attribute);
    if (!this.#conditions.has(attribute)) {
      const read = this.#read[attribute];
      if (read === undefined) this.#conditions.set(attribute, `attribute_not_exists(${name})`);
      else this.#conditions.set(attribute, `${name} = ${this.#value(read)}`);
    }
    return name;
  }

  /** ADDs the integer difference to reach `target`, or REMOVEs the attribute at 0. */
  public correctCount(attribute: string, target: number): void {
    const name = this.guard(attribute);
    const read = Number(this.#read[attribute]?.N ?? 0);
    this.changes++;
    if (target === 0) this.#removes.push(name);
    else this.#adds.push(`${name} ${this.#value({ N: String(target - read) })}`);
  }

  /** ADDs the exact decimal difference to reach `target`, or REMOVEs the sum. */
  public correctSum(target: string | undefined): void {
    const name = this.guard(A.sum);
    this.changes++;
    if (target === undefined) {
      this.#removes.push(name);
      return;
    }
    const read = this.#read[A.sum]?.N ?? '0';
    this.#adds.push(`${name} ${this.#value({ N: decimalDifference(target, read) })}`);
  }

  /** SETs `attribute` to `target` (REMOVEs it for `undefined`) if it still holds what was read. */
  public replace(attribute: string, target: number | undefined): void {
    const name = this.guard(attribute);
    this.changes++;
    if (target === undefined) this.#removes.push(name);
    else this.#sets.push(`${name} = ${this.#value({ N: String(target) })}`);
  }

  /** SETs a descriptive attribute (deterministic, so unguarded). */
  public set(attribute: string, value: AttributeValue): void {
    this.#sets.push(`${this.#alias(attribute)} = ${this.#value(value)}`);
  }

  public build(): CorrectionUpdate {
    const clauses = [
      this.#sets.length > 0 ? `SET ${this.#sets.join(', ')}` : '',
      this.#removes.length > 0 ? `REMOVE ${this.#removes.join(', ')}` : '',
      this.#adds.length > 0 ? `ADD ${this.#adds.join(', ')}` : '',
    ].filter(Boolean);
    return {
      UpdateExpression: clauses.join(' '),
      ConditionExpression: [...this.#conditions.values()].join(' AND '),
      ExpressionAttributeNames: this.#names,
      ...(Object.keys(this.#values).length > 0 ? { ExpressionAttributeValues: this.#values } : {}),
    };
  }

  #alias(attribute: string): string {
    for (const [alias, name] of Object.entries(this.#names)) if (name === attribute) return alias;
    const alias = `#a${this.#aliases++}`;
    this.#names[alias] = attribute;
    return alias;
  }

  #value(value: AttributeValue): string {
    const placeholder = `:v${Object.keys(this.#values).length}`;
    this.#values[placeholder] = value;
    return placeholder;
  }
}
