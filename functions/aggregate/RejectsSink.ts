import { createHash } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { RejectCode, RejectReason } from '../../core/events/RejectReason.js';

/** Longest raw input kept with a reject, in characters; the rest is cut and flagged. */
export const MAX_RAW_CHARS = 64 * 1024;

/** One refused event, as written to the rejects sink (one NDJSON line each). */
export interface RejectEntry {
  reason: RejectReason;
  shardId: string;
  sequenceNumber: string;
  /** Position of the event's line inside its record, from 0. */
  lineIndex: number;
  /** When the record reached the stream, ISO 8601. */
  arrivalTime: string;
  /** The line as received, cut to 64 KiB (less once the batch's rejects budget runs low). */
  raw: string;
  /** The aggregate item (`pk|sk`) that refused the event, for `refused_by_store`. */
  item?: string;
  rawTruncated?: true;
  /** The line is not quoted: the batch's rejects budget was spent (see `RejectCollector`). */
  rawOmitted?: true;
  /**
   * Rejects of the same record after this one, up to line `throughLineIndex`, not written
   * one by one: the rest of a run with this entry's reason, or, for an entry with
   * `rawOmitted`, every later reject of the record, counted by code.
   */
  omitted?: {
    lines: number;
    throughLineIndex: number;
    byCode: Partial<Record<RejectCode, number>>;
  };
  /** What `omitted` means, in words: "12,345 more lines refused with the same reason". */
  note?: string;
}

/** Where refused events go. */
export interface RejectsSink {
  /** Stores `entries` durably; rejects when the write failed and should be retried. */
  write(entries: readonly RejectEntry[]): Promise<void>;
}

/** Builds a reject entry, cutting the raw line to {@link MAX_RAW_CHARS}. */
export function rejectEntry(
  fields: Omit<RejectEntry, 'raw' | 'rawTruncated'>,
  raw: string,
): RejectEntry {
  return raw.length > MAX_RAW_CHARS
    ? { ...fields, raw: raw.slice(0, MAX_RAW_CHARS), rawTruncated: true }
    : { ...fields, raw };
}

/**
 * Writes rejects as one NDJSON object per batch under
 * `<prefix>date=YYYY-MM-DD/<shardId>/<first>-<last>.ndjson`. The key depends
 * only on the records, so a replayed batch overwrites its own object instead
 * of writing the rejects twice.
 */
export class S3RejectsSink implements RejectsSink {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  public constructor(client: S3Client, bucket: string, prefix: string) {
    this.#client = client;
    this.#bucket = bucket;
    this.#prefix = prefix;
  }

  public async write(entries: readonly RejectEntry[]): Promise<void> {
    const first = entries[0];
    const last = entries.at(-1);
    if (!first || !last) return;
    const day = first.arrivalTime.slice(0, 10);
    // An event refused by several items is written once per item: the item tells them apart.
    const item =
      first.item === undefined
        ? ''
        : `.${createHash('sha1').update(first.item).digest('hex').slice(0, 12)}`;
    const key =
      `${this.#prefix}date=${day}/${first.shardId}/` +
      `${first.sequenceNumber}.${first.lineIndex}-${last.sequenceNumber}.${last.lineIndex}${item}.ndjson`;
    await this.#client.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        Body: `${entries.map((entry) => JSON.stringify(entry)).join('\n')}\n`,
        ContentType: 'application/x-ndjson',
      }),
    );
  }
}
