import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { KinesisClient, Shard } from '@aws-sdk/client-kinesis';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { expandFirehosePrefix } from '../../core/codec/firehosePrefix.js';
import { deaggregateKplRecord } from '../../core/codec/kplCodec.js';
import type { CheckpointStore } from '../kinesis/CheckpointStore.js';
import { ShardFleet } from '../kinesis/ShardFleet.js';
import { ShardReader } from '../kinesis/ShardReader.js';

const gzipAsync = promisify(gzip);
const IDLE_POLL_MS = 250;
const READ_LIMIT = 10_000;

/** Options of {@link Archiver}, mirroring the Firehose delivery stream's settings. */
export interface ArchiverOptions {
  kinesis: KinesisClient;
  s3: S3Client;
  streamName: string;
  /** Name used in object keys, like a delivery stream name. */
  deliveryStreamName: string;
  bucket: string;
  /** Firehose prefix expression. */
  prefix: string;
  bufferingSizeBytes: number;
  bufferingIntervalMs: number;
  checkpoints: CheckpointStore;
  /** Told about every object written. */
  onDelivered?: (delivery: ArchiveDelivery) => void;
  /** Told about a failed write; the records stay buffered and are written by a later flush. */
  onError?: (error: unknown) => void;
}

/** One object written to the archive. */
export interface ArchiveDelivery {
  key: string;
  records: number;
  /** NDJSON lines in the object (events, including ones the handler rejects). */
  lines: number;
  bytes: number;
}

/**
 * Reproduces Firehose's Kinesis-to-S3 delivery on one machine: reads the
 * stream with its own checkpoints, buffers record data until
 * `bufferingSize` or `bufferingInterval` is reached, and writes the
 * concatenated data gzip-compressed under the expanded prefix, named
 * `<deliveryStream>-1-<yyyy-MM-dd-HH-mm-ss>-<uuid>.gz` like Firehose does.
 * KPL aggregated records are de-aggregated first, as Firehose does.
 * Checkpoints move only after the object holding the records is written.
 */
export class Archiver {
  readonly #options: ArchiverOptions;
  readonly #fleet: ShardFleet;
  #chunks: Buffer[] = [];
  #bytes = 0;
  #records = 0;
  #lines = 0;
  #firstArrival: Date | undefined;
  #bufferStart = 0;
  #positions = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  readonly #caughtUp = new Map<string, boolean>();

  public constructor(options: ArchiverOptions) {
    this.#options = options;
    this.#fleet = new ShardFleet(options.kinesis, options.streamName, (shard, signal) =>
      this.#consume(shard, signal),
    );
  }

  /** Starts reading and the buffering-interval timer. */
  public async start(): Promise<void> {
    await this.#fleet.start();
    this.#timer = setInterval(
      () => {
        if (
          this.#records > 0 &&
          Date.now() - this.#bufferStart >= this.#options.bufferingIntervalMs
        )
          void this.flush();
      },
      Math.min(1_000, Math.max(50, this.#options.bufferingIntervalMs)),
    );
  }

  /** Stops reading and writes whatever is buffered. */
  public async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#fleet.stop();
    await this.flush();
  }

  /** Whether every shard's reader has reached the end of the stream and nothing is buffered. */
  public get drained(): boolean {
    return (
      this.#records === 0 && this.#caughtUp.size > 0 && [...this.#caughtUp.values()].every(Boolean)
    );
  }

  /** Writes the buffer now as one object (no-op when empty). */
  public flush(): Promise<void> {
    this.#writing = this.#writing.then(() => this.#writeBuffer());
    return this.#writing;
  }

  async #consume(shard: Shard, signal: AbortSignal): Promise<void> {
    const shardId = shard.ShardId as string;
    const checkpoint = this.#options.checkpoints.get(shardId);
    const reader = new ShardReader(
      this.#options.kinesis,
      this.#options.streamName,
      shardId,
      checkpoint ? { afterSequenceNumber: checkpoint } : { position: 'TRIM_HORIZON' },
    );
    while (!signal.aborted) {
      const read = await reader.read(READ_LIMIT);
      this.#caughtUp.set(shardId, read.records.length === 0);
      for (const record of read.records) {
        if (this.#records === 0) {
          this.#bufferStart = Date.now();
          this.#firstArrival = record.ApproximateArrivalTimestamp ?? new Date();
        }
        for (const data of firehosePayloads(Buffer.from(record.Data as Uint8Array))) {
          this.#chunks.push(data);
          this.#bytes += data.length;
          this.#lines += countLines(data);
        }
        this.#records++;
        this.#positions.set(shardId, record.SequenceNumber as string);
        if (this.#bytes >= this.#options.bufferingSizeBytes) await this.flush();
      }
      if (read.closed) {
        await this.flush();
        this.#caughtUp.delete(shardId);
        return;
      }
      if (read.records.length === 0)
        await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS));
    }
  }

  async #writeBuffer(): Promise<void> {
    if (this.#records === 0) return;
    const chunks = this.#chunks;
    const records = this.#records;
    const lines = this.#lines;
    const positions = this.#positions;
    const arrival = this.#firstArrival ?? new Date();
    this.#chunks = [];
    this.#bytes = 0;
    this.#records = 0;
    this.#lines = 0;
    this.#positions = new Map();
    const body = await gzipAsync(Buffer.concat(chunks));
    const stamp = arrival.toISOString().slice(0, 19).replace(/[T:]/g, '-');
    const key = `${expandFirehosePrefix(this.#options.prefix, arrival)}${this.#options.deliveryStreamName}-1-${stamp}-${randomUUID()}.gz`;
    try {
      await this.#options.s3.send(
        new PutObjectCommand({
          Bucket: this.#options.bucket,
          Key: key,
          Body: body,
          ContentType: 'application/x-ndjson',
          ContentEncoding: 'gzip',
        }),
      );
    } catch (error) {
      // Put the records back in front of the buffer; the next flush tries again.
      this.#chunks = chunks.concat(this.#chunks);
      this.#records += records;
      this.#lines += lines;
      this.#bytes += chunks.reduce((sum, chunk) => sum + chunk.length, 0);
      for (const [shardId, sequenceNumber] of positions) {
        if (!this.#positions.has(shardId)) this.#positions.set(shardId, sequenceNumber);
      }
      this.#options.onError?.(error);
      return;
    }
    for (const [shardId, sequenceNumber] of positions)
      this.#options.checkpoints.set(shardId, sequenceNumber);
    this.#options.checkpoints.save();
    this.#options.onDelivered?.({ key, records, lines, bytes: body.length });
  }
}

/**
 * The data Firehose delivers for one stream record. With a Kinesis Data Streams
 * source, Firehose de-aggregates KPL aggregated records before it delivers
 * them, so the archive holds the user records' data one after the other, not
 * the protobuf framing. Source: "Use the KPL with Amazon Data Firehose",
 * https://docs.aws.amazon.com/streams/latest/dev/kpl-with-firehose.html, and
 * "Configure source settings for Amazon Kinesis Data Streams",
 * https://docs.aws.amazon.com/firehose/latest/dev/writing-with-kinesis-streams.html.
 * What Firehose does with a corrupt aggregate is not documented; it is
 * delivered as it is, the way KCL hands a record with a bad checksum on as
 * plain data.
 */
function firehosePayloads(data: Buffer): Buffer[] {
  const userRecords = deaggregateKplRecord(data);
  return userRecords === undefined ? [data] : userRecords.map((userRecord) => userRecord.data);
}

function countLines(data: Buffer): number {
  let count = 0;
  let index = data.indexOf(0x0a);
  while (index !== -1) {
    count++;
    index = data.indexOf(0x0a, index + 1);
  }
  return count;
}
