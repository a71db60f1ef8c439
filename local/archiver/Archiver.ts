import type { KinesisClient, Shard } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import { deaggregateKplRecord } from '../../core/codec/kplCodec.js';
import type { CheckpointStore } from '../kinesis/CheckpointStore.js';
import { ShardFleet } from '../kinesis/ShardFleet.js';
import { type ReadStart, ShardReader } from '../kinesis/ShardReader.js';
import { type ParquetConversion, type S3Delivery, S3DeliveryBuffer } from './S3DeliveryBuffer.js';

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
  /**
   * The archive's checkpoints. An empty store (no creation time recorded)
   * makes a new archive, which reads from the stream's LATEST position, as a
   * new delivery stream does; a store holding one resumes where it stopped.
   */
  checkpoints: CheckpointStore;
  /**
   * Convert records to Parquet (`archive.format` `'parquet'`), records that cannot be
   * going under the error prefix as `format-conversion-failed`.
   *
   * @default - gzip NDJSON
   */
  parquet?: ParquetConversion;
  /** Told about every object written. */
  onDelivered?: (delivery: ArchiveDelivery) => void;
  /** Told about a failed write; the records stay buffered and are written by a later flush. */
  onError?: (error: unknown) => void;
}

/** One object written to the archive. */
export type ArchiveDelivery = S3Delivery;

/** A record's position in the stream, checkpointed once the object holding it is written. */
type ShardPosition = readonly [shardId: string, sequenceNumber: string];

/**
 * Reproduces Firehose's Kinesis-to-S3 delivery on one machine: reads the
 * stream with its own checkpoints, de-aggregates KPL aggregated records as
 * Firehose does, and hands the record data to an {@link S3DeliveryBuffer},
 * which appends a newline to each record (the stack's
 * `AppendDelimiterToRecord` processor, applied after de-aggregation, so to
 * each user record), buffers until `bufferingSize` or `bufferingInterval` is
 * reached and writes gzip objects (Parquet objects with `parquet`) under the
 * expanded prefix, named like Firehose's. A record without a trailing newline is thus archived as a line
 * of its own instead of merging with the next record.
 * Checkpoints move only after the object holding the records is written.
 *
 * Like a delivery stream, a new archive starts at the stream's LATEST
 * position: "Kinesis Firehose starts reading data from the LATEST position of
 * your Kinesis stream" (TRIM_HORIZON "is not available for an Amazon Kinesis
 * Data Firehose delivery stream"). The archive records its creation time with
 * its checkpoints, and a shard without a checkpoint is read from the first
 * record that arrived at or after it: LATEST as of the creation, which still
 * holds after a restart that comes before the first object is written, and
 * which takes in every record of a shard created later by a reshard.
 * Source: https://docs.aws.amazon.com/firehose/latest/dev/writing-with-kinesis-streams.html
 */
export class Archiver {
  readonly #options: ArchiverOptions;
  readonly #fleet: ShardFleet;
  readonly #buffer: S3DeliveryBuffer<ShardPosition>;
  readonly #caughtUp = new Map<string, boolean>();

  public constructor(options: ArchiverOptions) {
    this.#options = options;
    this.#fleet = new ShardFleet(options.kinesis, options.streamName, (shard, signal) =>
      this.#consume(shard, signal),
    );
    this.#buffer = new S3DeliveryBuffer<ShardPosition>({
      s3: options.s3,
      bucket: options.bucket,
      prefix: options.prefix,
      deliveryStreamName: options.deliveryStreamName,
      bufferingSizeBytes: options.bufferingSizeBytes,
      bufferingIntervalMs: options.bufferingIntervalMs,
      onDelivered: (delivery, positions) => this.#delivered(delivery, positions),
      ...(options.parquet ? { parquet: options.parquet } : {}),
      ...(options.onError ? { onError: options.onError } : {}),
    });
  }

  /** Starts reading and the buffering-interval timer. */
  public async start(): Promise<void> {
    const { checkpoints } = this.#options;
    if (checkpoints.createdAt === undefined && !checkpoints.hasPositions) {
      checkpoints.markCreated(new Date());
    }
    await this.#fleet.start();
    this.#buffer.start();
  }

  /** Stops reading and writes whatever is buffered. */
  public async stop(): Promise<void> {
    await this.#fleet.stop();
    await this.#buffer.stop();
  }

  /** Whether every shard's reader has reached the end of the stream and nothing is buffered. */
  public get drained(): boolean {
    return (
      this.#buffer.bufferedRecords === 0 &&
      this.#caughtUp.size > 0 &&
      [...this.#caughtUp.values()].every(Boolean)
    );
  }

  /** Writes the buffer now as one object (no-op when empty). */
  public flush(): Promise<void> {
    return this.#buffer.flush();
  }

  async #consume(shard: Shard, signal: AbortSignal): Promise<void> {
    const shardId = shard.ShardId as string;
    const reader = new ShardReader(
      this.#options.kinesis,
      this.#options.streamName,
      shardId,
      this.#startOf(shardId),
    );
    while (!signal.aborted) {
      const read = await reader.read(READ_LIMIT);
      this.#caughtUp.set(shardId, read.records.length === 0);
      for (const record of read.records) {
        const arrival = record.ApproximateArrivalTimestamp ?? new Date();
        for (const data of firehosePayloads(Buffer.from(record.Data as Uint8Array))) {
          await this.#buffer.add(data, arrival, [shardId, record.SequenceNumber as string]);
        }
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

  /**
   * After the shard's checkpoint; else from the archive's creation; else, for
   * checkpoints kept before archives recorded their creation, from the
   * shard's oldest record, as they were read then.
   */
  #startOf(shardId: string): ReadStart {
    const { checkpoints } = this.#options;
    const checkpoint = checkpoints.get(shardId);
    if (checkpoint) return { afterSequenceNumber: checkpoint };
    const createdAt = checkpoints.createdAt;
    return createdAt ? { arrivedSince: createdAt } : { position: 'TRIM_HORIZON' };
  }

  #delivered(delivery: S3Delivery, positions: ShardPosition[]): void {
    // Positions come in read order, so the last one per shard is its checkpoint.
    const last = new Map<string, string>(positions);
    for (const [shardId, sequenceNumber] of last)
      this.#options.checkpoints.set(shardId, sequenceNumber);
    this.#options.checkpoints.save();
    this.#options.onDelivered?.(delivery);
  }
}

/**
 * The data Firehose delivers for one stream record. With a Kinesis Data Streams
 * source, Firehose de-aggregates KPL aggregated records before it delivers
 * them, so the archive holds the user records' data one after the other, not
 * the protobuf framing. De-aggregation comes before processing (the docs say
 * so of a Lambda transform), so the record delimiter is taken to follow each
 * user record. Source: "Use the KPL with Amazon Data Firehose",
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
