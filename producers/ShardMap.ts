import { createHash } from 'node:crypto';
import { type KinesisClient, ListShardsCommand, type Shard } from '@aws-sdk/client-kinesis';

/** One open shard and the hash-key range it owns. */
export interface ShardRoute {
  shardId: string;
  startingHashKey: bigint;
  endingHashKey: bigint;
  /** A hash key inside the range, as Kinesis expects `ExplicitHashKey`: a decimal string. */
  explicitHashKey: string;
}

/**
 * The 128-bit hash Kinesis routes a record by: the MD5 of its partition key,
 * read as an unsigned big-endian integer.
 */
export function partitionKeyHash(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

/**
 * The open shards of a stream, sorted by hash-key range, so a producer can
 * tell which shard a partition key lands on before sending it.
 */
export class ShardMap {
  readonly #routes: readonly ShardRoute[];

  private constructor(routes: ShardRoute[]) {
    this.#routes = routes.sort((a, b) => (a.startingHashKey < b.startingHashKey ? -1 : 1));
  }

  /** Lists the stream's shards (every page) and keeps the open ones. */
  public static async load(client: KinesisClient, streamName: string): Promise<ShardMap> {
    const shards: Shard[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: streamName }),
      );
      shards.push(...(page.Shards ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
    return ShardMap.fromShards(shards);
  }

  /** Builds a map from `ListShards` output; closed shards (with an ending sequence number) are left out. */
  public static fromShards(shards: readonly Shard[]): ShardMap {
    const open = shards.filter((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined);
    return new ShardMap(
      open.map((shard) => {
        const start = shard.HashKeyRange?.StartingHashKey;
        const end = shard.HashKeyRange?.EndingHashKey;
        if (!shard.ShardId || start === undefined || end === undefined) {
          throw new Error(
            `ListShards returned a shard without id or hash-key range: ${JSON.stringify(shard)}`,
          );
        }
        return {
          shardId: shard.ShardId,
          startingHashKey: BigInt(start),
          endingHashKey: BigInt(end),
          explicitHashKey: start,
        };
      }),
    );
  }

  /** Open shards, by ascending hash-key range. */
  public get routes(): readonly ShardRoute[] {
    return this.#routes;
  }

  /** The open shard owning `hash`, or `undefined` if none does (the map is stale). */
  public find(hash: bigint): ShardRoute | undefined {
    let low = 0;
    let high = this.#routes.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const route = this.#routes[middle] as ShardRoute;
      if (hash < route.startingHashKey) high = middle - 1;
      else if (hash > route.endingHashKey) low = middle + 1;
      else return route;
    }
    return undefined;
  }
}
