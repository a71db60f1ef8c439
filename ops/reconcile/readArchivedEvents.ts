import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { PARQUET_EXTENSION } from '../../core/codec/parquetExtension.js';
import type { EventCatalog } from '../../core/events/catalog.js';
import { checkStorableValues, type ValueSource } from '../../core/events/checkStorableValues.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { validateEventLine } from '../../core/events/validateEvent.js';
import { mapConcurrent } from '../../core/util/mapConcurrent.js';
import { originalSpellings } from '../archive/originalSpellings.js';
import { archiveListingPrefixes } from './archiveListingPrefixes.js';
import { embeddedJsonObjects } from './embeddedJsonObjects.js';
import { parquetEventLines } from './parquetEventLines.js';

const gunzipAsync = promisify(gunzip);

/** Objects fetched at once. */
const DEFAULT_CONCURRENCY = 8;

/** Merged lines whose place is reported, so an operator can look at them. */
const MERGED_LINE_SAMPLES = 10;

/** Options of {@link readArchivedEvents}. */
export interface ReadArchivedEventsOptions {
  s3: S3Client;
  bucket: string;
  /** Firehose prefix expression of the archive (`archive.prefix`). */
  prefix: string;
  /**
   * Firehose error output prefix expression of the archive (`archive.errorOutputPrefix`).
   * With it, the records Parquet conversion refused are read too, from the `rawData` of
   * their `format-conversion-failed` error documents: the handler may have counted their
   * events (a record holding one line Parquet cannot take holds others it can), and left
   * out they would read as drift that a repair subtracts. @default none - data objects only
   */
  errorOutputPrefix?: string;
  /** Arrival range to list, ms since the epoch (hour partitions that overlap it are read whole). */
  arrivalFromMs: number;
  arrivalToMs: number;
  /** Event-time range whose events are handed on: `sinceMs <= time < untilMs`. */
  sinceMs: number;
  untilMs: number;
  catalog: EventCatalog;
  /**
   * Where the handler reads metric values (`valueSourcesOf(config.metrics)`): an event
   * with a value it refuses as `unstorable_number` is counted as invalid, as the handler
   * counts it. @default none - such events are handed on
   */
  valueSources?: readonly ValueSource[];
  /** The handler's acceptance window (`events.maxLateness`, `events.maxFutureSkew`), ms. */
  maxLatenessMs: number;
  maxFutureSkewMs: number;
  /** Receives each distinct valid event in the range, once per `id`. */
  onEvent: (event: StreamfoldEvent, timeMs: number) => void;
  /** Told after each object is read. */
  onProgress?: (objectsRead: number, objectsTotal: number) => void;
  /** @default 8 */
  concurrency?: number;
}

/** What reading the archive found. */
export interface ArchiveReadSummary {
  /** Prefixes listed (one per arrival hour). */
  partitions: number;
  objects: number;
  bytes: number;
  /** Lines that are not empty. */
  lines: number;
  /**
   * Lines the handler refuses too, by code: JSON that is no valid event
   * (schema, type, time outside the acceptance window), and text that is not
   * JSON and holds no valid event either (`malformed_json`).
   */
  invalid: Record<string, number>;
  /**
   * Lines that are not JSON but hold valid events, such as `{…}{…}`: records
   * concatenated by an archive that did not append a newline to each one (as
   * Firehose does without the `AppendDelimiterToRecord` processor) when a
   * record did not end in one, or a producer's malformed line that
   * the handler refused whole. Which of the two cannot be told from the line,
   * so its events are not handed on, and the buckets they fall in are not
   * judged (see {@link ArchiveReadSummary.mergedEventTimes}).
   */
  mergedLines: number;
  /** Valid events found inside the merged lines. */
  mergedLineEvents: number;
  /** Where the first merged lines are (1-based line number in the gunzipped object). */
  mergedLineSamples: { key: string; line: number }[];
  /**
   * Event-time intervals, ms, inclusive, sorted and disjoint, that events held
   * in merged lines have: the time of each event found, or, when a line could
   * not be searched to its end, every time its object's records could have
   * (arrival − `maxLateness` to last write + `maxFutureSkew`).
   */
  mergedEventTimes: [number, number][];
  /** Records read from the error documents of Parquet conversion (see `errorOutputPrefix`). */
  conversionFailedRecords: number;
  /** Valid events whose time lies outside the range. */
  outsideRange: number;
  /** Further copies of an `id` already read (producer retries, re-delivered objects), left out. */
  duplicates: number;
  /** Distinct valid events in the range, handed to `onEvent`. */
  events: number;
}

/**
 * Reads the archive's gzip NDJSON and Parquet objects for an arrival range, validates
 * every line as the aggregate handler does and hands each event of the
 * event-time range on once per `id`.
 *
 * The handler checks each event's time against its record's arrival in the
 * stream; an object keeps only the arrival of its oldest record (the time
 * Firehose stamps into its name) and when it was written. An event is refused
 * here only when every arrival between those two would have refused it, so an
 * object holding records that arrived minutes apart (a backlog the archive
 * caught up with) is not judged by its oldest record alone. The two verdicts
 * can differ only for events whose time lies within that span of the window's
 * edge.
 * Duplicates are dropped by `id`, first copy kept, because the archive is
 * the record of what was sent, and copies of one event are one event.
 *
 * Empty lines are skipped. A line that is not JSON is searched for the JSON
 * objects inside it: when one of them is a valid event, the line may be
 * records an archive merged (see {@link ArchiveReadSummary.mergedLines}), and
 * it is reported apart from the lines the handler refuses too.
 */
export async function readArchivedEvents(
  options: ReadArchivedEventsOptions,
): Promise<ArchiveReadSummary> {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  // Key order is arrival order within a partition, so the first copy kept is the earliest.
  const keysUnder = async (prefixes: string[]) =>
    (await mapConcurrent(prefixes, concurrency, (p) => listObjects(options.s3, options.bucket, p)))
      .flat()
      .sort();
  const listingPrefixes = (expression: string) =>
    archiveListingPrefixes(expression, options.arrivalFromMs, options.arrivalToMs);
  const prefixes = listingPrefixes(options.prefix);
  const dataKeys = await keysUnder(prefixes);
  const errorKeys = options.errorOutputPrefix
    ? await keysUnder(listingPrefixes(conversionErrorPrefix(options.errorOutputPrefix)))
    : [];
  // Refused records after the data objects: a copy of an event in both keeps the data's.
  const keys = [...dataKeys, ...errorKeys];
  const isErrorKey = new Set(errorKeys);
  const summary: ArchiveReadSummary = {
    partitions: prefixes.length,
    objects: keys.length,
    bytes: 0,
    lines: 0,
    invalid: {},
    mergedLines: 0,
    mergedLineEvents: 0,
    mergedLineSamples: [],
    mergedEventTimes: [],
    conversionFailedRecords: 0,
    outsideRange: 0,
    duplicates: 0,
    events: 0,
  };
  const seen = new Set<string>();
  // Parquet objects hold Glue's lower-case field names; the catalog's spelling is restored.
  const spellings = originalSpellings(options.catalog);
  const mergedEventTimes: [number, number][] = [];
  let read = 0;
  // Fetched concurrently, handed on in key order so runs are repeatable.
  const texts = new Map<number, ArchivedObjectText[]>();
  let next = 0;
  const drain = () => {
    for (let entries = texts.get(next); entries; entries = texts.get(next)) {
      texts.delete(next);
      next++;
      for (const entry of entries) consume(entry);
    }
  };
  const consume = ({ key, text, arrivalMs, writtenMs }: ArchivedObjectText) => {
    // The handler judged each event against its own record's arrival, which the archive does
    // not keep: it lies between the object's oldest arrival (its name) and its writing. Only
    // what every arrival in that span refuses is refused here: earlier than the oldest arrival
    // less maxLateness, or later than the writing plus maxFutureSkew.
    const window = {
      now: Math.max(writtenMs, arrivalMs),
      maxLatenessMs: options.maxLatenessMs + Math.max(0, writtenMs - arrivalMs),
      maxFutureSkewMs: options.maxFutureSkewMs,
    };
    const lines = text.split('\n');
    for (const [index, line] of lines.entries()) {
      // The archive appends a newline to every record: one that ended in a newline is followed by an empty line.
      if (line.trim() === '') continue;
      summary.lines++;
      const result = validateEventLine(line, options.catalog, window);
      if (!result.ok && result.reason.code === 'malformed_json') {
        const embedded = embeddedJsonObjects(line);
        const times = embedded.objects.flatMap((object) => {
          const inner = validateEventLine(object, options.catalog, window);
          return inner.ok ? [inner.timeMs] : [];
        });
        if (times.length === 0 && embedded.complete) {
          summary.invalid.malformed_json = (summary.invalid.malformed_json ?? 0) + 1;
          continue;
        }
        summary.mergedLines++;
        summary.mergedLineEvents += times.length;
        if (summary.mergedLineSamples.length < MERGED_LINE_SAMPLES) {
          summary.mergedLineSamples.push({ key, line: index + 1 });
        }
        for (const time of times) mergedEventTimes.push([time, time]);
        if (!embedded.complete) {
          mergedEventTimes.push([
            arrivalMs - options.maxLatenessMs,
            writtenMs + options.maxFutureSkewMs,
          ]);
        }
        continue;
      }
      const refusal = result.ok
        ? checkStorableValues(result.event, options.valueSources ?? [])
        : result.reason;
      if (refusal) {
        summary.invalid[refusal.code] = (summary.invalid[refusal.code] ?? 0) + 1;
        continue;
      }
      if (!result.ok) continue;
      if (result.timeMs < options.sinceMs || result.timeMs >= options.untilMs) {
        summary.outsideRange++;
        continue;
      }
      if (seen.has(result.event.id)) {
        summary.duplicates++;
        continue;
      }
      seen.add(result.event.id);
      summary.events++;
      options.onEvent(result.event, result.timeMs);
    }
  };
  await mapConcurrent(keys, concurrency, async (key, index) => {
    const object = await options.s3.send(
      new GetObjectCommand({ Bucket: options.bucket, Key: key }),
    );
    const raw = Buffer.from((await object.Body?.transformToByteArray()) ?? new Uint8Array());
    summary.bytes += raw.length;
    if (isErrorKey.has(key)) {
      const refused = refusedRecordsOf(
        key,
        (isGzip(raw) ? await gunzipAsync(raw) : raw).toString('utf8'),
      );
      summary.conversionFailedRecords += refused.length;
      texts.set(index, refused);
      drain();
      options.onProgress?.(++read, keys.length);
      return;
    }
    const text = key.endsWith(PARQUET_EXTENSION)
      ? await parquetEventLines(raw, spellings)
      : (isGzip(raw) ? await gunzipAsync(raw) : raw).toString('utf8');
    const writtenMs = object.LastModified?.getTime() ?? Date.now();
    const arrivalMs = arrivalOf(key) ?? writtenMs;
    texts.set(index, [{ key, text, arrivalMs, writtenMs }]);
    drain();
    options.onProgress?.(++read, keys.length);
  });
  summary.mergedEventTimes = disjointIntervals(mergedEventTimes);
  return summary;
}

/** Firehose's folder for records that record format conversion refused. */
const FORMAT_CONVERSION_FAILED = 'format-conversion-failed';

/** The error output prefix expression narrowed to the records conversion refused. */
function conversionErrorPrefix(errorOutputPrefix: string): string {
  return errorOutputPrefix.replaceAll('!{firehose:error-output-type}', FORMAT_CONVERSION_FAILED);
}

/**
 * The records of a `format-conversion-failed` object, each as it was sent (its `rawData`),
 * judged by its own arrival: Firehose writes one JSON document per refused record,
 * "attemptsMade", "arrivalTimestamp", "ErrorCode", "ErrorMessage", "rawData", …
 * (https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion-error-handling.html).
 * A line that is no such document is left out.
 */
function refusedRecordsOf(key: string, text: string): ArchivedObjectText[] {
  const records: ArchivedObjectText[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let document: { rawData?: unknown; arrivalTimestamp?: unknown };
    try {
      document = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof document?.rawData !== 'string' || typeof document.arrivalTimestamp !== 'number') {
      continue;
    }
    const arrivalMs = document.arrivalTimestamp;
    records.push({
      key,
      text: Buffer.from(document.rawData, 'base64').toString('utf8'),
      arrivalMs,
      writtenMs: arrivalMs,
    });
  }
  return records;
}

/** One archive object, gunzipped. */
interface ArchivedObjectText {
  key: string;
  text: string;
  /** The arrival stamped into its name (the oldest record's), ms. */
  arrivalMs: number;
  /** When it was written (S3 `LastModified`), ms: after its newest record arrived. */
  writtenMs: number;
}

/** Inclusive intervals sorted by start, overlapping ones joined. */
function disjointIntervals(intervals: [number, number][]): [number, number][] {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  const joined: [number, number][] = [];
  for (const [from, to] of sorted) {
    const last = joined.at(-1);
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else joined.push([from, to]);
  }
  return joined;
}

async function listObjects(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** Firehose names objects `<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>`, stamped with the arrival (UTC). */
const ARRIVAL_STAMP =
  /-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-[0-9a-f-]+(?:\.gz|\.parquet)?$/;

/** The arrival time stamped into a Firehose object name, ms; `undefined` when it has none. */
export function arrivalOf(key: string): number | undefined {
  const match = ARRIVAL_STAMP.exec(key);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  return Date.UTC(y as number, (mo as number) - 1, d, h, mi, s);
}

function isGzip(data: Buffer): boolean {
  return data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
}
