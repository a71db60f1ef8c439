import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { CfnTable } from 'aws-cdk-lib/aws-glue';
import { expandFirehosePrefix } from '../../core/codec/firehosePrefix.js';
import { PARQUET_EXTENSION } from '../../core/codec/parquetExtension.js';
import { ParquetEncoder } from './ParquetEncoder.js';
import { parquetRowsOf } from './parquetRowsOf.js';

const gzipAsync = promisify(gzip);

/** Firehose stamps this delivery stream version into object names; a local stream never changes. */
const DELIVERY_STREAM_VERSION = 1;

const NEWLINE = 0x0a;

/**
 * Appended to every record, as the `AppendDelimiterToRecord` processor both
 * delivery streams of the stack have (`RawArchive`, `DirectPutArchive`)
 * appends it: Firehose's default delimiter, a newline. It is appended even
 * when the data already ends in one, so such a record is followed by an
 * empty line, which archive readers skip.
 */
const RECORD_DELIMITER = Buffer.from([NEWLINE]);

/** Options of {@link S3DeliveryBuffer}, mirroring a Firehose S3 destination. */
export interface S3DeliveryBufferOptions<TMark> {
  s3: S3Client;
  bucket: string;
  /** Firehose prefix expression (`!{timestamp:...}`, `!{firehose:random-string}`). */
  prefix: string;
  /** Name used in object keys, as Firehose uses the delivery stream name. */
  deliveryStreamName: string;
  /** Write when this many bytes are buffered: record data and delimiters, before compression. */
  bufferingSizeBytes: number;
  /** Write when the oldest buffered record is this old, ms. */
  bufferingIntervalMs: number;
  /** Told about every object written, with the marks of the records it holds, in order. */
  onDelivered?: (delivery: S3Delivery, marks: TMark[]) => void;
  /** Told about a failed write; the records stay buffered and are written by a later flush. */
  onError?: (error: unknown) => void;
  /**
   * Convert records to Parquet, as Firehose record format conversion does for
   * `archive.format` `'parquet'`.
   *
   * @default - gzip NDJSON
   */
  parquet?: ParquetConversion;
}

/** Where records are converted to and where those that cannot be go. */
export interface ParquetConversion {
  /** The Glue table's columns (`archiveTableColumns`). */
  columns: readonly CfnTable.ColumnProperty[];
  /** Firehose error output prefix expression (`archive.errorOutputPrefix`). */
  errorOutputPrefix: string;
  /** The table, as Firehose names it in each error document. */
  databaseName: string;
  tableName: string;
}

/** One object written to S3. */
export interface S3Delivery {
  key: string;
  records: number;
  /** Non-empty NDJSON lines in the object (the empty line after a record that ended in a newline is not one); rows of a Parquet object. */
  lines: number;
  /** Object size, compressed. */
  bytes: number;
  /** Records that could not be converted to Parquet, written under the error prefix instead. */
  conversionFailures: number;
}

/** What Firehose stamps as `!{firehose:error-output-type}` for records it could not convert. */
export const FORMAT_CONVERSION_FAILED = 'format-conversion-failed';

/** An object ready to write. */
interface EncodedObject {
  extension: string;
  body: Buffer;
  contentType: string;
  contentEncoding?: string;
  lines: number;
}

/**
 * Firehose's S3 delivery on one machine: records are buffered until
 * `bufferingSizeBytes` or `bufferingIntervalMs` is reached, then their data,
 * each followed by a newline (the stack's `AppendDelimiterToRecord`
 * processor), is concatenated, gzip-compressed and written as one object
 * under the prefix expanded at the arrival time of the oldest record, named
 * `<deliveryStream>-1-<yyyy-MM-dd-HH-mm-ss>-<uuid>.gz` as Firehose names them.
 * The oldest record is the one that arrived first, not the one buffered
 * first (records of several shards are buffered in the order they are read):
 * "When evaluating timestamps, Firehose uses the approximate arrival
 * timestamp of the oldest record that's contained in the Amazon S3 object
 * being written" (https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html);
 * the name's timestamp is taken from the same instant.
 * A failed write keeps the records, in order, for the next flush.
 *
 * With `parquet`, the records are converted instead, as Firehose's record
 * format conversion does: their rows go into one `.parquet` object under the
 * same prefix and name, and each record that cannot be converted goes whole,
 * as Firehose's error document, into one object under the error prefix with
 * `format-conversion-failed` as its error output type.
 *
 * Each record may carry a mark (for example a Kinesis position); the marks of
 * an object's records are handed to `onDelivered` once it is written, so a
 * source can checkpoint only what is safely in S3.
 *
 * @example
 * const buffer = new S3DeliveryBuffer({ s3, bucket: 'archive', prefix: 'direct/', deliveryStreamName: 'd',
 *   bufferingSizeBytes: 5 * 1024 * 1024, bufferingIntervalMs: 60_000 });
 * buffer.start();
 * await buffer.add(Buffer.from('{"id":"a"}'), new Date()); // archived as the line {"id":"a"}
 * await buffer.stop(); // writes what is buffered
 */
export class S3DeliveryBuffer<TMark = never> {
  readonly #options: S3DeliveryBufferOptions<TMark>;
  #chunks: Buffer[] = [];
  #marks: TMark[] = [];
  #bytes = 0;
  #records = 0;
  #lines = 0;
  /** Approximate arrival time of the oldest record buffered. */
  #oldestArrival: Date | undefined;
  /** Arrival of each buffered record, for the error documents of records that fail conversion. */
  #arrivals: Date[] = [];
  readonly #parquet: ParquetEncoder | undefined;
  #bufferStart = 0;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  public constructor(options: S3DeliveryBufferOptions<TMark>) {
    this.#options = options;
    this.#parquet = options.parquet ? new ParquetEncoder(options.parquet.columns) : undefined;
  }

  /** Records buffered and not yet written. */
  public get bufferedRecords(): number {
    return this.#records;
  }

  /** Bytes buffered and not yet written: record data and delimiters. */
  public get bufferedBytes(): number {
    return this.#bytes;
  }

  /** Starts the buffering-interval timer. */
  public start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(
      () => {
        if (
          this.#records > 0 &&
          Date.now() - this.#bufferStart >= this.#options.bufferingIntervalMs
        )
          void this.flush();
      },
      // Checked often enough that an object is at most ~1 s later than the interval.
      Math.min(1_000, Math.max(50, this.#options.bufferingIntervalMs)),
    );
  }

  /** Stops the timer and writes whatever is buffered. */
  public async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
    this.#parquet?.close();
  }

  /**
   * Buffers one record's data. Resolves at once, or, when the buffer reached
   * `bufferingSizeBytes`, once it is written (so a reader that awaits it slows
   * down instead of buffering without bound).
   */
  public add(data: Buffer, arrival: Date, mark?: TMark): Promise<void> {
    if (this.#records === 0) this.#bufferStart = Date.now();
    this.#oldestArrival = olderOf(this.#oldestArrival, arrival);
    this.#chunks.push(data, RECORD_DELIMITER);
    this.#arrivals.push(arrival);
    if (mark !== undefined) this.#marks.push(mark);
    this.#bytes += data.length + RECORD_DELIMITER.length;
    this.#records++;
    this.#lines += countNonEmptyLines(data);
    return this.#bytes >= this.#options.bufferingSizeBytes ? this.flush() : Promise.resolve();
  }

  /** Writes the buffer now as one object (no-op when empty); writes never overlap. */
  public flush(): Promise<void> {
    this.#writing = this.#writing.then(() => this.#writeBuffer());
    return this.#writing;
  }

  async #writeBuffer(): Promise<void> {
    if (this.#records === 0) return;
    const chunks = this.#chunks;
    const marks = this.#marks;
    const records = this.#records;
    const lines = this.#lines;
    const bytes = this.#bytes;
    const arrival = this.#oldestArrival ?? new Date();
    const bufferStart = this.#bufferStart;
    const arrivals = this.#arrivals;
    this.#chunks = [];
    this.#marks = [];
    this.#arrivals = [];
    this.#bytes = 0;
    this.#records = 0;
    this.#lines = 0;
    this.#oldestArrival = undefined;
    const stamp = arrival.toISOString().slice(0, 19).replace(/[T:]/g, '-');
    const name = `${this.#options.deliveryStreamName}-${DELIVERY_STREAM_VERSION}-${stamp}-${randomUUID()}`;
    let delivery: S3Delivery;
    try {
      const conversion = this.#options.parquet;
      const encoded = conversion
        ? await this.#encodeParquet(chunks, arrivals, conversion, arrival, name)
        : { data: await gzipObject(chunks, bytes, lines), failures: undefined };
      // Failed records first: a retry after a failed data write repeats error documents, never rows.
      if (encoded.failures) await this.#put(encoded.failures.key, encoded.failures.object);
      const key = `${expandFirehosePrefix(this.#options.prefix, arrival)}${name}${encoded.data?.extension ?? ''}`;
      if (encoded.data) await this.#put(key, encoded.data);
      delivery = {
        // Without a data object (no record converted), the error object is what was written.
        key: encoded.data ? key : (encoded.failures?.key ?? key),
        records,
        lines: encoded.data?.lines ?? 0,
        bytes: encoded.data?.body.length ?? 0,
        conversionFailures: encoded.failures?.count ?? 0,
      };
    } catch (error) {
      // Put the records back in front of the buffer; the next flush tries again.
      this.#oldestArrival = olderOf(this.#oldestArrival, arrival);
      this.#bufferStart = bufferStart;
      this.#chunks = chunks.concat(this.#chunks);
      this.#marks = marks.concat(this.#marks);
      this.#arrivals = arrivals.concat(this.#arrivals);
      this.#records += records;
      this.#lines += lines;
      this.#bytes += bytes;
      this.#options.onError?.(error);
      return;
    }
    this.#options.onDelivered?.(delivery, marks);
  }

  async #put(key: string, object: EncodedObject): Promise<void> {
    await this.#options.s3.send(
      new PutObjectCommand({
        Bucket: this.#options.bucket,
        Key: key,
        Body: object.body,
        ContentType: object.contentType,
        ...(object.contentEncoding ? { ContentEncoding: object.contentEncoding } : {}),
      }),
    );
  }

  /**
   * The Parquet object of the records that convert (none when no record does) and,
   * for the others, one object of Firehose's error documents under the error prefix.
   */
  async #encodeParquet(
    chunks: readonly Buffer[],
    arrivals: readonly Date[],
    conversion: ParquetConversion,
    arrival: Date,
    name: string,
  ): Promise<{
    data: EncodedObject | undefined;
    failures: { key: string; object: EncodedObject; count: number } | undefined;
  }> {
    const converted: { index: number; rows: Record<string, unknown>[] }[] = [];
    const errorDocuments: string[] = [];
    const refuse = (index: number, errorCode: string, errorMessage: string) => {
      errorDocuments.push(
        JSON.stringify({
          attemptsMade: 1,
          arrivalTimestamp: (arrivals[index / 2] ?? arrival).getTime(),
          ErrorCode: errorCode,
          ErrorMessage: errorMessage,
          attemptEndingTimestamp: Date.now(),
          rawData: (chunks[index] as Buffer).toString('base64'),
          dataCatalogTable: {
            databaseName: conversion.databaseName,
            tableName: conversion.tableName,
            versionId: 'LATEST',
          },
        }),
      );
    };
    for (let index = 0; index < chunks.length; index += 2) {
      const outcome = parquetRowsOf(chunks[index] as Buffer, conversion.columns);
      if (outcome.ok) converted.push({ index, rows: outcome.rows });
      else refuse(index, outcome.errorCode, outcome.errorMessage);
    }
    const body = await this.#encodeRows(converted, refuse);
    const lines = converted.reduce((sum, record) => sum + record.rows.length, 0);
    const data =
      body !== undefined
        ? {
            extension: PARQUET_EXTENSION,
            body,
            contentType: 'application/vnd.apache.parquet',
            lines,
          }
        : undefined;
    const failures =
      errorDocuments.length > 0
        ? {
            key: `${expandFirehosePrefix(conversion.errorOutputPrefix, arrival, { errorOutputType: FORMAT_CONVERSION_FAILED })}${name}`,
            object: {
              extension: '',
              body: Buffer.from(`${errorDocuments.join('\n')}\n`),
              contentType: 'application/x-ndjson',
              lines: errorDocuments.length,
            },
            count: errorDocuments.length,
          }
        : undefined;
    return { data, failures };
  }

  /**
   * The Parquet file of the converted records' rows, or none without rows. The rows were
   * checked against their columns, so the writer is not expected to refuse one. Should it,
   * and should it still write a row of nulls (so the writer itself works), each record is
   * written alone to find those it refuses; they go to `refuse` and out of `converted`, like
   * any record that cannot be converted. Without that, one record would fail the file of
   * every record buffered with it, flush after flush. Any other failure fails the flush,
   * which is tried again.
   */
  async #encodeRows(
    converted: { index: number; rows: Record<string, unknown>[] }[],
    refuse: (index: number, errorCode: string, errorMessage: string) => void,
  ): Promise<Buffer | undefined> {
    const encoder = this.#parquet;
    const rowsOf = (records: typeof converted) => records.flatMap((record) => record.rows);
    if (!encoder || rowsOf(converted).length === 0) return undefined;
    try {
      return await encoder.encode(rowsOf(converted));
    } catch (error) {
      // The writer refuses even a row of nulls: the fault is not in the records.
      await encoder.encode([{}]).catch(() => {
        throw error;
      });
    }
    const kept: typeof converted = [];
    for (const record of converted) {
      const refused = await encoder.encode(record.rows).then(
        () => undefined,
        (error: unknown) => error,
      );
      if (refused === undefined) kept.push(record);
      else {
        refuse(
          record.index,
          'Firehose.FormatConversion.TypeMismatch',
          `not writable as Parquet: ${String(refused)}`,
        );
      }
    }
    converted.splice(0, converted.length, ...kept);
    return rowsOf(kept).length > 0 ? encoder.encode(rowsOf(kept)) : undefined;
  }
}

/** The records as one gzip NDJSON object. */
async function gzipObject(
  chunks: readonly Buffer[],
  bytes: number,
  lines: number,
): Promise<EncodedObject> {
  return {
    extension: '.gz',
    body: await gzipAsync(Buffer.concat(chunks, bytes)),
    contentType: 'application/x-ndjson',
    contentEncoding: 'gzip',
    lines,
  };
}

function olderOf(a: Date | undefined, b: Date): Date {
  return a === undefined || b.getTime() < a.getTime() ? b : a;
}

/**
 * Lines with at least one byte in one record's data. A record never shares a
 * line with the next one (the delimiter ends its last line), so counting per
 * record counts the object's lines.
 */
function countNonEmptyLines(data: Buffer): number {
  let count = 0;
  let start = 0;
  while (start < data.length) {
    let end = data.indexOf(NEWLINE, start);
    if (end === -1) end = data.length;
    if (end > start) count++;
    start = end + 1;
  }
  return count;
}
