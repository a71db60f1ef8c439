import { type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type {
  DedupeClaim,
  DedupeOutcome,
  EventDeduper,
} from '../../core/aggregates/EventDeduper.js';
import { mapConcurrent } from '../../core/util/mapConcurrent.js';
import { AGGREGATE_ATTRIBUTES as A, isConditionFailure } from './DynamoAggregateStore.js';

/** Partition-key prefix of dedupe markers in the aggregates table. */
export const DEDUPE_KEY_PREFIX = 'dedupe#';
/** Sort key of every dedupe marker. */
const DEDUPE_SORT_KEY = 'event';
/** Conditional writes in flight at once. */
const CLAIM_CONCURRENCY = 32;

/**
 * Claims event ids with one conditional UpdateItem each on a marker item
 * `dedupe#<id>` in the aggregates table, holding the position of the copy that
 * owns it and an `expiresAt` for DynamoDB TTL (the dedupe window). Cost: one
 * write request unit per event, on top of the aggregate writes, which scale
 * with distinct items rather than events.
 */
export class DynamoEventDeduper implements EventDeduper {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #windowMs: number;
  readonly #now: () => number;

  public constructor(
    client: DynamoDBClient,
    tableName: string,
    windowMs: number,
    now: () => number = Date.now,
  ) {
    this.#client = client;
    this.#tableName = tableName;
    this.#windowMs = windowMs;
    this.#now = now;
  }

  public claim(claims: readonly DedupeClaim[]): Promise<DedupeOutcome[]> {
    const expiresAt = String(Math.ceil((this.#now() + this.#windowMs) / 1_000));
    return mapConcurrent(claims, CLAIM_CONCURRENCY, async (claim): Promise<DedupeOutcome> => {
      try {
        await this.#client.send(
          new UpdateItemCommand({
            TableName: this.#tableName,
            Key: {
              [A.partitionKey]: { S: `${DEDUPE_KEY_PREFIX}${claim.id}` },
              [A.sortKey]: { S: DEDUPE_SORT_KEY },
            },
            UpdateExpression: 'SET #position = :position, #expiresAt = :expiresAt',
            ConditionExpression: 'attribute_not_exists(#position) OR #position = :position',
            ExpressionAttributeNames: { '#position': 'position', '#expiresAt': A.expiresAt },
            ExpressionAttributeValues: {
              ':position': { S: claim.position },
              ':expiresAt': { N: expiresAt },
            },
          }),
        );
        return 'first';
      } catch (error) {
        if (isConditionFailure(error)) return 'duplicate';
        return { error };
      }
    });
  }
}
