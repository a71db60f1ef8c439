import {
  type _Record,
  ExpiredIteratorException,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';

/**
 * Where a reader starts: after a checkpoint, at a stream position, or at the
 * first record that arrived at or after an instant (what `AT_TIMESTAMP`
 * does; read here from TRIM_HORIZON and skipped up to that record, because
 * kinesalite never answers an `AT_TIMESTAMP` GetShardIterator on a shard
 * with no record that recent).
 */
export type ReadStart =
  | { afterSequenceNumber: string }
  | { position: 'TRIM_HORIZON' | 'LATEST' }
  | { arrivedSince: Date };

/** One GetRecords result. */
export interface ShardRead {
  records: _Record[];
  millisBehindLatest: number;
  /** The shard is closed (resharded) and every record has been read. */
  closed: boolean;
}

/**
 * Reads one shard in order with GetRecords, renewing its iterator from the
 * last record seen when it expires (iterators live 5 minutes).
 */
export class ShardReader {
  readonly #kinesis: KinesisClient;
  readonly #streamName: string;
  public readonly shardId: string;
  #start: Exclude<ReadStart, { arrivedSince: Date }>;
  /** Records that arrived before this are skipped, until the first one that did not. */
  #skipBefore: Date | undefined;
  #iterator: string | undefined;
  #closed = false;

  public constructor(
    kinesis: KinesisClient,
    streamName: string,
    shardId: string,
    start: ReadStart,
  ) {
    this.#kinesis = kinesis;
    this.#streamName = streamName;
    this.shardId = shardId;
    if ('arrivedSince' in start) {
      this.#skipBefore = start.arrivedSince;
      this.#start = { position: 'TRIM_HORIZON' };
    } else {
      this.#start = start;
    }
  }

  /** Reads the next records, at most `limit` (GetRecords allows 10,000). */
  public async read(limit: number): Promise<ShardRead> {
    for (;;) {
      const read = await this.#readOnce(limit);
      const skipBefore = this.#skipBefore;
      if (skipBefore === undefined) return read;
      const first = read.records.findIndex(
        (record) => (record.ApproximateArrivalTimestamp?.getTime() ?? 0) >= skipBefore.getTime(),
      );
      if (first >= 0) {
        this.#skipBefore = undefined;
        return { ...read, records: read.records.slice(first) };
      }
      // Everything read arrived too early: read on at once, unless the shard has nothing more.
      if (read.records.length === 0 || read.closed) return { ...read, records: [] };
    }
  }

  async #readOnce(limit: number): Promise<ShardRead> {
    if (this.#closed) return { records: [], millisBehindLatest: 0, closed: true };
    this.#iterator ??= await this.#newIterator();
    let response: GetRecordsCommandOutput;
    try {
      response = await this.#kinesis.send(
        new GetRecordsCommand({ ShardIterator: this.#iterator, Limit: limit }),
      );
    } catch (error) {
      if (!(error instanceof ExpiredIteratorException)) throw error;
      this.#iterator = undefined;
      return { records: [], millisBehindLatest: 0, closed: false };
    }
    const records = response.Records ?? [];
    const last = records.at(-1);
    if (last?.SequenceNumber) this.#start = { afterSequenceNumber: last.SequenceNumber };
    this.#iterator = response.NextShardIterator;
    // A closed shard returns no next iterator once its last record has been read.
    if (this.#iterator === undefined) this.#closed = true;
    return { records, millisBehindLatest: response.MillisBehindLatest ?? 0, closed: this.#closed };
  }

  async #newIterator(): Promise<string> {
    const start = this.#start;
    const response = await this.#kinesis.send(
      new GetShardIteratorCommand({
        StreamName: this.#streamName,
        ShardId: this.shardId,
        ...('afterSequenceNumber' in start
          ? {
              ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
              StartingSequenceNumber: start.afterSequenceNumber,
            }
          : { ShardIteratorType: start.position }),
      }),
    );
    if (!response.ShardIterator) throw new Error(`no iterator returned for ${this.shardId}`);
    return response.ShardIterator;
  }
}
