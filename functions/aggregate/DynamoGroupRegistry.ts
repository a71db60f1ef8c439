import { createHash } from 'node:crypto';
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { GroupRegistry } from '../../core/aggregates/GroupRegistry.js';
import { AGGREGATE_ATTRIBUTES as A, isConditionFailure } from './DynamoAggregateStore.js';

/** Sort key of a metric's registry item; aggregate sort keys start with a window name. */
const REGISTRY_SORT_KEY = 'group-registry';
/** Partition key suffix; real groups read `label=value`, so no aggregate item is named alike. */
const REGISTRY_GROUP = '__groups__';
/** String-set attribute holding the hashes of the admitted groups. */
const GROUPS_ATTRIBUTE = 'groups';
/** 16 base64url characters = 96 bits: collisions are negligible below 10,000 groups. */
const HASH_CHARS = 16;

interface MetricGroups {
  /** Hashes of groups known to be admitted. */
  admitted: Set<string>;
  /** The registry is full and `admitted` is its complete, final content. */
  full: boolean;
}

/**
 * A {@link GroupRegistry} in the aggregates table: one item per metric whose
 * string set of group hashes only grows, by a conditional `ADD` that succeeds
 * only while the set is below the cap or already holds the group. A set never
 * shrinks and never passes the cap, so each decision is final: an admitted
 * group stays admitted, and a group refused by a full set is refused forever,
 * on every shard and after every restart. Decisions are cached per container;
 * once the set is full it is read once and no further call is made.
 */
export class DynamoGroupRegistry implements GroupRegistry {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  readonly #metrics = new Map<string, MetricGroups>();

  public constructor(client: DynamoDBClient, tableName: string) {
    this.#client = client;
    this.#tableName = tableName;
  }

  public async admit(
    metric: string,
    maxGroups: number,
    groups: readonly string[],
  ): Promise<ReadonlySet<string>> {
    let known = this.#metrics.get(metric);
    if (!known) {
      known = { admitted: new Set(), full: false };
      this.#metrics.set(metric, known);
    }
    const result = new Set<string>();
    // One at a time, in order of first appearance, so admission is first come, first served.
    for (const group of groups) {
      const hash = groupHash(group);
      if (!known.admitted.has(hash) && !known.full) {
        if (await this.#tryAdd(metric, maxGroups, hash)) known.admitted.add(hash);
        else {
          known.admitted = await this.#readAll(metric);
          known.full = true;
        }
      }
      if (known.admitted.has(hash)) result.add(group);
    }
    return result;
  }

  /**
   * The hashes (see {@link groupHash}) of every group admitted so far for
   * `metric`, read consistently and without admitting anything: what an
   * operator command needs to route events as the handler did.
   */
  public admittedHashes(metric: string): Promise<Set<string>> {
    return this.#readAll(metric);
  }

  /**
   * How many groups of `metric` are admitted: the size of its registry item's
   * set, one eventually consistent `GetItem` of that item alone, for a health
   * page polled every few seconds. A full registry holds exactly its cap.
   */
  public async groupCount(metric: string): Promise<number> {
    const result = await this.#client.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: registryKey(metric),
        ProjectionExpression: '#g',
        ExpressionAttributeNames: { '#g': GROUPS_ATTRIBUTE },
      }),
    );
    return result.Item?.[GROUPS_ATTRIBUTE]?.SS?.length ?? 0;
  }

  async #tryAdd(metric: string, maxGroups: number, hash: string): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: registryKey(metric),
          UpdateExpression: 'ADD #g :hash',
          ConditionExpression: 'attribute_not_exists(#g) OR size(#g) < :cap OR contains(#g, :one)',
          ExpressionAttributeNames: { '#g': GROUPS_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':hash': { SS: [hash] },
            ':one': { S: hash },
            ':cap': { N: String(maxGroups) },
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async #readAll(metric: string): Promise<Set<string>> {
    const result = await this.#client.send(
      new GetItemCommand({
        TableName: this.#tableName,
        Key: registryKey(metric),
        ConsistentRead: true,
      }),
    );
    return new Set(result.Item?.[GROUPS_ATTRIBUTE]?.SS ?? []);
  }
}

function registryKey(metric: string): Record<string, AttributeValue> {
  return {
    [A.partitionKey]: { S: `${metric}#${REGISTRY_GROUP}` },
    [A.sortKey]: { S: REGISTRY_SORT_KEY },
  };
}

/** The hash under which a group is kept in a metric's registry item. */
export function groupHash(group: string): string {
  return createHash('sha256').update(group).digest('base64url').slice(0, HASH_CHARS);
}
