import {
  type KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  type PutRecordsCommandInput,
  type PutRecordsCommandOutput,
  type PutRecordsResultEntry,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { unpackRecord } from '../../core/codec/ndjsonCodec.js';
import type { EventCatalog } from '../../core/events/catalog.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { webShopCatalog } from '../../examples/web-shop/catalog.js';
import { KinesisProducer, type KinesisProducerOptions } from '../../producers/KinesisProducer.js';

/** One entry of a PutRecords call. */
export type Entry = NonNullable<PutRecordsCommandInput['Records']>[number];

/** Scripts the per-entry results of call number `call`; an empty array accepts every entry. */
export type Responder = (
  records: readonly Entry[],
  call: number,
) => PutRecordsResultEntry[] | Promise<PutRecordsResultEntry[]>;

/** A ProvisionedThroughputExceededException entry result. */
export const THROTTLED: PutRecordsResultEntry = {
  ErrorCode: 'ProvisionedThroughputExceededException',
  ErrorMessage: 'Rate exceeded for shard',
};

/**
 * Stands in for a KinesisClient to inject faults kinesalite cannot produce:
 * records every PutRecords input, answers with scripted per-entry results or
 * throws, and remembers which entries it accepted. Answers ListShards with
 * `shards` when given, otherwise refuses it like a role without the permission.
 */
export class ScriptedKinesis {
  public readonly calls: PutRecordsCommandInput[] = [];
  /** Data of every entry answered with a sequence number, in order. */
  public readonly accepted: Buffer[] = [];
  /** When each accepted entry was accepted, `performance.now()` ms. */
  public readonly acceptedAt: number[] = [];
  #sequence = 0;

  public constructor(
    private readonly respond: Responder = () => [],
    private readonly shards?: Shard[],
  ) {}

  public async send(command: unknown): Promise<unknown> {
    if (command instanceof ListShardsCommand) {
      if (!this.shards)
        throw Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
      return { Shards: this.shards };
    }
    if (!(command instanceof PutRecordsCommand)) throw new Error('unexpected command');
    const records = command.input.Records ?? [];
    const call = this.calls.push(command.input) - 1;
    const scripted = await this.respond(records, call);
    const results = records.map((record, i) => {
      const result = scripted[i];
      if (result?.ErrorCode) return result;
      this.accepted.push(Buffer.from(record.Data as Uint8Array));
      this.acceptedAt.push(performance.now());
      return { ShardId: 'shardId-000000000000', SequenceNumber: String(++this.#sequence) };
    });
    const output: Partial<PutRecordsCommandOutput> = {
      Records: results,
      FailedRecordCount: results.filter((r) => 'ErrorCode' in r).length,
    };
    return output;
  }

  public get client(): KinesisClient {
    return this as unknown as KinesisClient;
  }

  /** Event ids carried by the given entries, decoded from their NDJSON data. */
  public static idsIn(data: readonly Uint8Array[]): string[] {
    return data.flatMap((d) =>
      unpackRecord(d).map((line) => (JSON.parse(line) as StreamfoldEvent).id),
    );
  }
}

/** An AWS SDK-style error with the given name. */
export function awsError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/**
 * A producer on a scripted client, tuned for fast tests: no linger, 1-2 ms
 * backoff. Any catalog: tests put events the sample catalog would refuse.
 */
export function scriptedProducer(
  kinesis: ScriptedKinesis,
  options: Partial<KinesisProducerOptions<EventCatalog>> = {},
): KinesisProducer<EventCatalog> {
  return new KinesisProducer<EventCatalog>({
    catalog: webShopCatalog,
    client: kinesis.client,
    streamName: 'test-stream',
    lingerMs: 0,
    baseBackoffMs: 1,
    maxBackoffMs: 2,
    ...options,
  });
}
