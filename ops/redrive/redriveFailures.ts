import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { FailedRecord, OnFailureRecord } from './OnFailureRecord.js';
import { parseOnFailureRecord } from './parseOnFailureRecord.js';
import {
  type PutPosition,
  type PutRetrySettings,
  putRecordsWithRetry,
} from './putRecordsWithRetry.js';
import { readBatchFromStream, streamNameOf } from './readBatchFromStream.js';

/** Where markers of redriven objects go, in the same bucket: `redriven/<original key>.json`. */
export const DEFAULT_MARKER_PREFIX = 'redriven/';

/** Options of {@link redriveFailures}. */
export interface RedriveOptions {
  s3: S3Client;
  kinesis: KinesisClient;
  /** Bucket of the on-failure destination (the rejects bucket). */
  bucket: string;
  /** Prefix of on-failure objects, `rejects.onFailurePrefix` (`aws/lambda/`). */
  prefix: string;
  /** Stream to put the records back on. */
  streamName: string;
  /** Markers are written under this prefix. @default 'redriven/' */
  markerPrefix?: string;
  /** List and count, but put nothing and write no marker. @default false */
  dryRun?: boolean;
  /** Only objects last modified at or after this time. */
  since?: Date;
  /** Only objects last modified before this time. */
  until?: Date;
  /** Retries of refused PutRecords entries. */
  retry?: PutRetrySettings;
  /** Told about every object as it is settled, for progress output. */
  onObject?: (outcome: ObjectOutcome, done: number, total: number) => void;
}

/** Where an object's records came from. */
export type RecordSource = 'payload' | 'stream';

/** What happened to one on-failure object. */
export interface ObjectOutcome {
  key: string;
  status: 'redriven' | 'would-redrive' | 'already-redriven' | 'failed';
  /** `payload`: the object carried the records; `stream`: read back from the shard. */
  source?: RecordSource;
  records: number;
  bytes: number;
  /** The shard the batch was discarded from. */
  shardId?: string;
  /** Why the object failed. */
  error?: string;
}

/** The outcome of a run. */
export interface RedriveSummary {
  objects: ObjectOutcome[];
  /** Objects under the prefix left out by `since` / `until`. */
  outsideWindow: number;
  redriven: number;
  wouldRedrive: number;
  alreadyRedriven: number;
  failed: number;
  /** Records put back (or, in a dry run, that would be). */
  records: number;
  bytes: number;
  /** Source shards of the objects put back (or that would be). */
  shards: string[];
}

/** The marker written after every record of an object was acknowledged. */
export interface RedriveMarker {
  sourceKey: string;
  redrivenAt: string;
  streamName: string;
  source: RecordSource;
  records: number;
  bytes: number;
  condition: string | undefined;
  /** Original shard and sequence number of each record, and where its copy landed. */
  positions: { from: { shardId: string; sequenceNumber: string }; to: PutPosition }[];
}

/**
 * Puts the records of Lambda on-failure objects back on the stream, once per
 * object: lists the objects under `prefix` (paged), skips those with a marker,
 * takes each batch's records from the object's payload or, for metadata-only
 * objects, reads them back from the shard, puts them back byte for byte with
 * their partition keys, and only then writes the marker
 * `<markerPrefix><key>.json`. Nothing is ever deleted.
 *
 * At-least-once: a run that stops after putting an object's records but before
 * writing its marker puts them again on the next run. One bad object is
 * reported and does not stop the others.
 *
 * @example
 * const summary = await redriveFailures({ s3, kinesis, bucket: 'streamfold-rejects',
 *   prefix: 'aws/lambda/', streamName: 'streamfold-events', dryRun: true });
 * console.log(`${summary.wouldRedrive} objects, ${summary.records} records`);
 */
export async function redriveFailures(options: RedriveOptions): Promise<RedriveSummary> {
  const markerPrefix = options.markerPrefix ?? DEFAULT_MARKER_PREFIX;
  const listed = await listObjects(options.s3, options.bucket, options.prefix);
  const inWindow = listed.filter(
    (o) =>
      (!options.since || o.lastModified >= options.since) &&
      (!options.until || o.lastModified < options.until),
  );
  const markers = new Set(
    (await listObjects(options.s3, options.bucket, `${markerPrefix}${options.prefix}`)).map(
      (o) => o.key,
    ),
  );
  const objects: ObjectOutcome[] = [];
  for (const { key } of inWindow) {
    let outcome: ObjectOutcome;
    if (markers.has(markerKey(markerPrefix, key))) {
      outcome = { key, status: 'already-redriven', records: 0, bytes: 0 };
    } else {
      try {
        outcome = await redriveObject(options, markerPrefix, key);
      } catch (error) {
        // Reported and counted; the remaining objects are still redriven.
        outcome = { key, status: 'failed', records: 0, bytes: 0, error: (error as Error).message };
      }
    }
    objects.push(outcome);
    options.onObject?.(outcome, objects.length, inWindow.length);
  }
  const moved = objects.filter((o) => o.status === 'redriven' || o.status === 'would-redrive');
  const count = (status: ObjectOutcome['status']) =>
    objects.filter((o) => o.status === status).length;
  return {
    objects,
    outsideWindow: listed.length - inWindow.length,
    redriven: count('redriven'),
    wouldRedrive: count('would-redrive'),
    alreadyRedriven: count('already-redriven'),
    failed: count('failed'),
    records: moved.reduce((sum, o) => sum + o.records, 0),
    bytes: moved.reduce((sum, o) => sum + o.bytes, 0),
    shards: [...new Set(moved.map((o) => o.shardId as string))].sort(),
  };
}

/** The marker key of an on-failure object. */
export function markerKey(markerPrefix: string, key: string): string {
  return `${markerPrefix}${key}.json`;
}

async function redriveObject(
  options: RedriveOptions,
  markerPrefix: string,
  key: string,
): Promise<ObjectOutcome> {
  const { s3, kinesis, bucket, streamName } = options;
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = (await object.Body?.transformToString('utf8')) ?? '';
  const parsed: OnFailureRecord = parseOnFailureRecord(text, key);
  const source: RecordSource = parsed.records ? 'payload' : 'stream';
  const records: FailedRecord[] =
    parsed.records ??
    (await readBatchFromStream(
      kinesis,
      streamNameOf(parsed.batchInfo.streamArn),
      parsed.batchInfo,
    ));
  const bytes = records.reduce((sum, r) => sum + r.data.length, 0);
  const base = { key, source, records: records.length, bytes, shardId: parsed.batchInfo.shardId };
  if (options.dryRun) return { ...base, status: 'would-redrive' };
  const positions = await putRecordsWithRetry(kinesis, streamName, records, options.retry);
  const marker: RedriveMarker = {
    sourceKey: key,
    redrivenAt: new Date().toISOString(),
    streamName,
    source,
    records: records.length,
    bytes,
    condition: parsed.condition,
    positions: records.map((r, i) => ({
      from: { shardId: parsed.batchInfo.shardId, sequenceNumber: r.sequenceNumber },
      to: positions[i] as PutPosition,
    })),
  };
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: markerKey(markerPrefix, key),
      Body: JSON.stringify(marker),
      ContentType: 'application/json',
    }),
  );
  return { ...base, status: 'redriven' };
}

/** Every object under `prefix`, following continuation tokens (1,000 keys a page). */
async function listObjects(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<{ key: string; lastModified: Date }[]> {
  const objects: { key: string; lastModified: Date }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const entry of page.Contents ?? []) {
      if (entry.Key)
        objects.push({ key: entry.Key, lastModified: entry.LastModified ?? new Date(0) });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}
