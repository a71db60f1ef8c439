import { type KinesisClient, ListShardsCommand, type Shard } from '@aws-sdk/client-kinesis';

/** Runs one shard until it is closed and fully consumed, or until `signal` aborts. */
export type ShardConsumer = (shard: Shard, signal: AbortSignal) => Promise<void>;

/**
 * Discovers the stream's shards and runs a consumer per shard, starting a
 * child shard only after its parents have been consumed to the end, so
 * records of one key are processed in order across a reshard.
 */
export class ShardFleet {
  readonly #kinesis: KinesisClient;
  readonly #streamName: string;
  readonly #consume: ShardConsumer;
  readonly #discoveryIntervalMs: number;
  readonly #running = new Map<string, Promise<void>>();
  readonly #finished = new Set<string>();
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #discovering: Promise<void> | undefined;
  /** Called with any error a consumer or discovery throws; the consumer is restarted later. */
  public onError: (error: unknown, shardId?: string) => void = () => undefined;

  public constructor(
    kinesis: KinesisClient,
    streamName: string,
    consume: ShardConsumer,
    discoveryIntervalMs = 2_000,
  ) {
    this.#kinesis = kinesis;
    this.#streamName = streamName;
    this.#consume = consume;
    this.#discoveryIntervalMs = discoveryIntervalMs;
  }

  /** Discovers shards now and then at every interval. */
  public async start(): Promise<void> {
    await this.#discover();
    this.#timer = setInterval(() => {
      this.#discovering ??= this.#discover().finally(() => {
        this.#discovering = undefined;
      });
    }, this.#discoveryIntervalMs);
  }

  /** Stops discovery, aborts the consumers and waits for them to return. */
  public async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#abort.abort();
    await this.#discovering;
    await Promise.allSettled(this.#running.values());
  }

  async #discover(): Promise<void> {
    if (this.#abort.signal.aborted) return;
    let shards: Shard[];
    try {
      shards = await this.#listShards();
    } catch (error) {
      this.onError(error);
      return;
    }
    const known = new Set(shards.map((s) => s.ShardId));
    for (const shard of shards) {
      const id = shard.ShardId as string;
      if (this.#running.has(id) || this.#finished.has(id)) continue;
      const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter(
        (p): p is string => p !== undefined && known.has(p),
      );
      if (!parents.every((p) => this.#finished.has(p))) continue;
      const run = this.#consume(shard, this.#abort.signal).then(
        () => {
          if (!this.#abort.signal.aborted) this.#finished.add(id);
        },
        (error: unknown) => this.onError(error, id),
      );
      this.#running.set(
        id,
        run.finally(() => this.#running.delete(id)),
      );
    }
  }

  async #listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let token: string | undefined;
    do {
      const page = await this.#kinesis.send(
        new ListShardsCommand(token ? { NextToken: token } : { StreamName: this.#streamName }),
      );
      shards.push(...(page.Shards ?? []));
      token = page.NextToken;
    } while (token);
    return shards;
  }
}
