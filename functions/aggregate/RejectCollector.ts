import type { RejectCode, RejectReason } from '../../core/events/RejectReason.js';
import { MAX_RAW_CHARS, type RejectEntry } from './RejectsSink.js';

/**
 * Bytes of reject entries one batch writes, about (raw excerpts, reasons and
 * the fixed fields). 1 MiB holds 16 excerpts of the largest size or a few
 * thousand short ones, enough to see what went wrong; past it the rejects are
 * counted, not quoted. A hostile 1 MiB record of `x\n` lines once wrote a
 * 157 MB object and took the handler to ~1 GB (the function has 512 MB).
 */
export const MAX_REJECT_BYTES_PER_BATCH = 1024 * 1024;

/** What one entry costs besides its raw excerpt and reason: keys, shard id, sequence numbers, time. */
const ENTRY_OVERHEAD_BYTES = 256;

/** The fields of a reject but its raw line. */
export type RejectFields = Omit<RejectEntry, 'raw' | 'rawTruncated' | 'omitted' | 'note'>;

/**
 * Collects the rejects of a batch so that what one record adds to the
 * rejects sink is bounded while every reject is still counted by code:
 *
 * - a run of rejects of the same record with the same reason (code, field
 *   and message) is written once: the first entry quotes its line and counts
 *   the rest in `omitted`, with a `note` such as "12,345 more lines refused
 *   with the same reason";
 * - the entries of a batch hold about {@link MAX_REJECT_BYTES_PER_BATCH};
 *   once that is spent, the further rejects of a record are counted, by
 *   code, in one entry without a raw excerpt (`rawOmitted`).
 *
 * A record's rejects are collected apart ({@link forRecord}) and kept with
 * {@link absorb} once the record is read, so a failing record leaves no trace.
 *
 * @example
 * const batch = new RejectCollector();
 * const record = batch.forRecord();
 * record.add({ reason, shardId, sequenceNumber, lineIndex, arrivalTime }, line);
 * batch.absorb(record);
 * await sink.write(batch.entries);
 */
export class RejectCollector {
  readonly #entries: RejectEntry[] = [];
  /** Every reject collected, by code, written one by one or not. */
  public readonly countsByCode: Partial<Record<RejectCode, number>> = {};
  #count = 0;
  #usedBytes = 0;
  readonly #maxBytes: number;
  /** The last entry written, with its reason's key; `undefined` key for an entry past the budget. */
  #tail: { entry: RejectEntry; key: string | undefined } | undefined;

  /**
   * @param maxBytes - bytes of entries to hold, about
   * @default - {@link MAX_REJECT_BYTES_PER_BATCH}
   */
  public constructor(maxBytes: number = MAX_REJECT_BYTES_PER_BATCH) {
    this.#maxBytes = maxBytes;
  }

  /** Entries to write, in line order. */
  public get entries(): readonly RejectEntry[] {
    this.#closeTail();
    return this.#entries;
  }

  /** Rejects collected, written one by one or not. */
  public get count(): number {
    return this.#count;
  }

  /** A collector for one record's rejects, with what is left of this one's budget. */
  public forRecord(): RejectCollector {
    return new RejectCollector(Math.max(0, this.#maxBytes - this.#usedBytes));
  }

  /** Keeps the rejects of `record`, collected by {@link forRecord}. */
  public absorb(record: RejectCollector): void {
    for (const entry of record.entries) this.#entries.push(entry);
    for (const [code, count] of Object.entries(record.countsByCode)) {
      this.#countAs(code as RejectCode, count);
    }
    this.#count += record.#count;
    this.#usedBytes += record.#usedBytes;
    // Runs end with their record: the next record starts its own entries.
    this.#tail = undefined;
  }

  /** Collects one reject; `raw` is the line as received. */
  public add(fields: RejectFields, raw: string): void {
    const { reason } = fields;
    this.#count++;
    this.#countAs(reason.code, 1);
    const key = keyOf(reason);
    const tail = this.#tail;
    if (tail && tail.entry.sequenceNumber === fields.sequenceNumber) {
      if (tail.key === undefined || tail.key === key) {
        addOmitted(tail.entry, reason.code, fields.lineIndex);
        return;
      }
    }
    const fixed = ENTRY_OVERHEAD_BYTES + reason.message.length + (reason.field?.length ?? 0);
    const room = this.#maxBytes - this.#usedBytes - fixed;
    if (room < 0) {
      // Past the budget: one entry counts the rest of the record's rejects, by code.
      const entry: RejectEntry = { ...fields, raw: '', rawOmitted: true };
      this.#write(entry, undefined, fixed);
      return;
    }
    const chars = Math.min(raw.length, MAX_RAW_CHARS, room);
    const entry: RejectEntry =
      chars < raw.length
        ? { ...fields, raw: raw.slice(0, chars), rawTruncated: true }
        : { ...fields, raw };
    this.#write(entry, key, fixed + chars);
  }

  #write(entry: RejectEntry, key: string | undefined, bytes: number): void {
    this.#closeTail();
    this.#entries.push(entry);
    this.#usedBytes += bytes;
    this.#tail = { entry, key };
  }

  /** Words what the last entry left out; once, rather than for each line it counts. */
  #closeTail(): void {
    const tail = this.#tail;
    const omitted = tail?.entry.omitted;
    if (!tail || !omitted) return;
    const lines = `${COUNT.format(omitted.lines)} more ${omitted.lines === 1 ? 'line' : 'lines'}`;
    tail.entry.note =
      tail.key === undefined
        ? `${lines} of this record refused and not written one by one: the batch's rejects budget is spent (counted by code in omitted.byCode)`
        : `${lines} refused with the same reason`;
  }

  #countAs(code: RejectCode, count: number): void {
    this.countsByCode[code] = (this.countsByCode[code] ?? 0) + count;
  }
}

function keyOf(reason: RejectReason): string {
  return `${reason.code}\u0000${reason.field ?? ''}\u0000${reason.message}`;
}

const COUNT = new Intl.NumberFormat('en-US');

/** Counts one more reject after `entry` that is not written one by one. */
function addOmitted(entry: RejectEntry, code: RejectCode, lineIndex: number): void {
  const omitted = entry.omitted ?? { lines: 0, throughLineIndex: lineIndex, byCode: {} };
  omitted.lines++;
  omitted.throughLineIndex = lineIndex;
  omitted.byCode[code] = (omitted.byCode[code] ?? 0) + 1;
  entry.omitted = omitted;
}
