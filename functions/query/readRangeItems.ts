import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  type KeysAndAttributes,
  QueryCommand,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { aggregateSortKey } from '../../core/aggregates/aggregateKey.js';
import { AGGREGATE_ATTRIBUTES as A } from '../aggregate/DynamoAggregateStore.js';
import { AGGREGATES_BY_METRIC_INDEX as INDEX } from './aggregatesByMetricIndex.js';
import { AggregatesIndexMissingError } from './errors.js';
import type { RangeParameters } from './parseQueryParameters.js';
import type { AggregateSource } from './queryAggregates.js';

/**
 * Which attributes a range read returns: `counts` the group and count;
 * `figures` also the bucket, sum, min and max; `whole` every attribute, for
 * the histogram buckets (`h:<key>`), whose names are not known in advance.
 */
export type RangeReadProjection = 'counts' | 'figures' | 'whole';

const PROJECTED: Record<RangeReadProjection, readonly (keyof typeof A)[]> = {
  counts: ['group', 'count'],
  figures: ['group', 'count', 'bucketStart', 'sum', 'min', 'max'],
  whole: [],
};

/** DynamoDB's limit on keys in one BatchGetItem request. */
const MAX_BATCH_KEYS = 100;
/**
 * A group with this many items or more in the range is read with one Query
 * on its partition (billed by the bytes read, 0.5 read units per 4 KB); a
 * group with fewer has its keys batched with other groups' (BatchGetItem
 * bills 0.5 read units per item, but takes 100 keys per request), so a range
 * of one bucket over 10,000 groups costs 100 requests, not 10,000.
 */
const QUERY_FROM_ITEMS = 8;
/** Requests in flight at once for one range read. */
const CONCURRENCY = 8;
/** BatchGetItem rounds that may return unprocessed keys before giving up. */
const MAX_BATCH_ROUNDS = 8;
/** First pause before re-sending unprocessed keys, ms; doubled each round. */
const FIRST_RETRY_DELAY_MS = 50;

/**
 * Reads a metric's aggregate items in a window and bucket range and hands
 * each one to `visit` (in no particular order). Items without `cnt` (a
 * histogram chunk that landed before its item's main update) are left out.
 *
 * How: a Query on the table's `byMetric` index (see
 * {@link AGGREGATES_BY_METRIC_INDEX}) for `metric` and `sk BETWEEN
 * <window>#<first bucket> AND <window>#<last bucket>` lists the items' keys,
 * then the items are read from the table: a group with many items in the
 * range by a Query on its partition over the range, the others by
 * BatchGetItem. Nothing else of the table is read, so the cost grows with
 * the metric's items in the range (groups × buckets), not with other
 * metrics, other windows or other times. Reads are eventually consistent,
 * as the index is: an item created a moment ago may be missing.
 *
 * @throws {AggregatesIndexMissingError} when the table has no `byMetric` index
 * @example
 * await readRangeItems(source, params, 'counts', (item) => console.log(item.grp?.S));
 */
export async function readRangeItems(
  source: AggregateSource,
  params: RangeParameters,
  projection: RangeReadProjection,
  visit: (item: Record<string, AttributeValue>) => void,
): Promise<void> {
  const fromSk = aggregateSortKey(params.window, params.firstBucketMs);
  const toSk = aggregateSortKey(params.window, params.lastBucketMs);
  const keysByPartition = await listRangeKeys(source, params.metric.name, fromSk, toSk);
  const names: Record<string, string> = {};
  const projected = [A.count, ...PROJECTED[projection].map((key) => A[key])]
    .filter((name, i, all) => all.indexOf(name) === i)
    .map((name) => {
      names[`#${name}`] = name;
      return `#${name}`;
    });
  const projectionExpression =
    projection === 'whole' ? {} : { ProjectionExpression: projected.join(', ') };
  const attributeNames = projection === 'whole' ? {} : { ExpressionAttributeNames: names };
  const take = (item: Record<string, AttributeValue>) => {
    if (item[A.count]?.N !== undefined) visit(item);
  };

  const tasks: (() => Promise<void>)[] = [];
  const batched: Record<string, AttributeValue>[] = [];
  for (const [pk, sortKeys] of keysByPartition) {
    if (sortKeys.length < QUERY_FROM_ITEMS) {
      for (const sk of sortKeys)
        batched.push({ [A.partitionKey]: { S: pk }, [A.sortKey]: { S: sk } });
      continue;
    }
    tasks.push(async () => {
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await source.dynamodb.send(
          new QueryCommand({
            TableName: source.tableName,
            KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
            ExpressionAttributeNames: {
              ...(projection === 'whole' ? {} : names),
              '#pk': A.partitionKey,
              '#sk': A.sortKey,
            },
            ExpressionAttributeValues: {
              ':pk': { S: pk },
              ':from': { S: fromSk },
              ':to': { S: toSk },
            },
            ...projectionExpression,
            ...(source.pageLimit === undefined ? {} : { Limit: source.pageLimit }),
            ExclusiveStartKey: start,
          }),
        );
        for (const item of page.Items ?? []) take(item);
        start = page.LastEvaluatedKey;
      } while (start);
    });
  }
  const batchSize = Math.min(MAX_BATCH_KEYS, source.pageLimit ?? MAX_BATCH_KEYS);
  for (let i = 0; i < batched.length; i += batchSize) {
    const keys = batched.slice(i, i + batchSize);
    tasks.push(() =>
      batchGet(source, { Keys: keys, ...projectionExpression, ...attributeNames }, take),
    );
  }
  await runAtMost(CONCURRENCY, tasks);
}

/**
 * The keys of the metric's items whose sort key lies in `[fromSk, toSk]`,
 * sort keys grouped by partition key (one partition per group), from the
 * `byMetric` index, page by page.
 */
async function listRangeKeys(
  source: AggregateSource,
  metric: string,
  fromSk: string,
  toSk: string,
): Promise<Map<string, string[]>> {
  const keysByPartition = new Map<string, string[]>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    let page: QueryCommandOutput;
    try {
      page = await source.dynamodb.send(
        new QueryCommand({
          TableName: source.tableName,
          IndexName: INDEX.indexName,
          KeyConditionExpression: '#metric = :metric AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#metric': INDEX.partitionKey, '#sk': INDEX.sortKey },
          ExpressionAttributeValues: {
            ':metric': { S: metric },
            ':from': { S: fromSk },
            ':to': { S: toSk },
          },
          ...(source.pageLimit === undefined ? {} : { Limit: source.pageLimit }),
          ExclusiveStartKey: start,
        }),
      );
    } catch (error) {
      if (isMissingIndex(error)) throw new AggregatesIndexMissingError(source.tableName, error);
      throw error;
    }
    for (const item of page.Items ?? []) {
      const pk = item[A.partitionKey]?.S;
      const sk = item[A.sortKey]?.S;
      if (pk === undefined || sk === undefined) continue;
      const sortKeys = keysByPartition.get(pk);
      if (sortKeys === undefined) keysByPartition.set(pk, [sk]);
      else sortKeys.push(sk);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return keysByPartition;
}

/** Reads `request`'s keys, re-sending unprocessed keys with a doubling pause. */
async function batchGet(
  source: AggregateSource,
  request: KeysAndAttributes,
  take: (item: Record<string, AttributeValue>) => void,
): Promise<void> {
  let pending: KeysAndAttributes | undefined = request;
  for (let round = 0; pending !== undefined; round++) {
    if (round === MAX_BATCH_ROUNDS) {
      throw new Error(
        `BatchGetItem on ${source.tableName} left ${pending.Keys?.length ?? 0} keys unprocessed after ${MAX_BATCH_ROUNDS} rounds`,
      );
    }
    if (round > 0) await sleep(FIRST_RETRY_DELAY_MS * 2 ** (round - 1));
    const answer: BatchGetItemCommandOutput = await source.dynamodb.send(
      new BatchGetItemCommand({ RequestItems: { [source.tableName]: pending } }),
    );
    for (const item of answer.Responses?.[source.tableName] ?? []) take(item);
    const unprocessed: KeysAndAttributes | undefined = answer.UnprocessedKeys?.[source.tableName];
    pending = (unprocessed?.Keys?.length ?? 0) > 0 ? unprocessed : undefined;
  }
}

/**
 * Runs `tasks` with at most `limit` in flight; rejects with the first
 * failure, after which no further task is started.
 */
async function runAtMost(limit: number, tasks: readonly (() => Promise<void>)[]): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < tasks.length) {
      const task = tasks[next++];
      try {
        if (task) await task();
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

/** DynamoDB's answer to a Query on an index the table does not have. */
function isMissingIndex(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === 'ValidationException' &&
    /specified index/i.test(error.message)
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
