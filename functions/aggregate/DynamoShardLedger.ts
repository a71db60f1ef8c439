import { type DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { emptyLedger, type ShardLedgerState } from '../../core/aggregates/ShardLedger.js';
import { isConditionFailure } from './DynamoAggregateStore.js';

/** Partition key prefix of ledger items in the aggregates table: `shard#<shardId>`. */
export const LEDGER_KEY_PREFIX = 'shard#';
/** Sort key of every ledger item. */
export const LEDGER_SORT_KEY = 'ledger';

/** Times a ledger change is re-read and re-decided after losing a race. */
const MAX_LEDGER_ROUNDS = 5;

/** A ledger state as read, with the version that conditions the next write. */
export interface VersionedLedger {
  state: ShardLedgerState;
  version: number;
  /** Size of the stored state, bytes (DynamoDB refuses items over 400 KB). */
  bytes: number;
}

/**
 * Keeps each shard's {@link ShardLedgerState} in the aggregates table, one
 * item per shard (`shard#<shardId>` / `ledger`, no `cnt`, so aggregate scans
 * skip it). Writes are conditional on the version read, so two writers (a
 * timed-out invocation still running, a recovery run) never overwrite each
 * other's decisions.
 */
export class DynamoShardLedger {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  public constructor(client: DynamoDBClient, tableName: string) {
    this.#client = client;
    this.#tableName = tableName;
  }

  /** Reads the ledger of `shardId` (consistently); an empty one when there is none yet. */
  public async read(shardId: string): Promise<VersionedLedger> {
    const result = await this.#client.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: this.#key(shardId),
        ConsistentRead: true,
      }),
    );
    const text = result.Item?.state?.S;
    if (text === undefined) return { state: emptyLedger(), version: 0, bytes: 0 };
    return {
      state: JSON.parse(text) as ShardLedgerState,
      version: Number(result.Item?.ver?.N),
      bytes: text.length,
    };
  }

  /**
   * Applies `change` to the stored ledger and writes the result if nobody
   * wrote in between, re-reading and re-deciding otherwise.
   *
   * @param change the new state, or `undefined` to leave the ledger as it is
   * @returns the ledger now stored (changed or not)
   */
  public async update(
    shardId: string,
    change: (current: ShardLedgerState) => Promise<ShardLedgerState | undefined>,
  ): Promise<VersionedLedger> {
    for (let round = 0; round < MAX_LEDGER_ROUNDS; round++) {
      const stored = await this.read(shardId);
      const next = await change(stored.state);
      if (next === undefined) return stored;
      const text = JSON.stringify(next);
      if (await this.#write(shardId, text, stored.version)) {
        return { state: next, version: stored.version + 1, bytes: text.length };
      }
    }
    throw new Error(`ledger of ${shardId} kept changing under ${MAX_LEDGER_ROUNDS} writers`);
  }

  /**
   * An UpdateItem rather than a PutItem, so the function needs no permission
   * beyond the UpdateItem and GetItem it has for aggregates.
   */
  async #write(shardId: string, text: string, version: number): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: this.#key(shardId),
          UpdateExpression: 'SET #state = :state, #ver = :next',
          // Version 0 is "no ledger yet": only the first of two racing creators may write it.
          ConditionExpression: version === 0 ? 'attribute_not_exists(#ver)' : '#ver = :version',
          ExpressionAttributeNames: { '#state': 'state', '#ver': 'ver' },
          ExpressionAttributeValues: {
            ':state': { S: text },
            ':next': { N: String(version + 1) },
            ...(version === 0 ? {} : { ':version': { N: String(version) } }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  #key(shardId: string) {
    return { pk: { S: `${LEDGER_KEY_PREFIX}${shardId}` }, sk: { S: LEDGER_SORT_KEY } };
  }
}
