import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import {
  laneOfRecord,
  recordGiveUp,
  type ShardLedgerState,
  scopeOf,
} from '../../core/aggregates/ShardLedger.js';
import { sequenceOrderKey } from '../../core/aggregates/sequenceOrder.js';
import {
  type AggregateDependencies,
  aggregateKinesisBatch,
} from '../../functions/aggregate/aggregateKinesisBatch.js';
import { fixedScope } from '../../functions/aggregate/DynamoAttemptTracker.js';
import type { DynamoShardLedger } from '../../functions/aggregate/DynamoShardLedger.js';
import type { FailedRecord, OnFailureRecord } from './OnFailureRecord.js';
import { parseOnFailureRecord } from './parseOnFailureRecord.js';
import { readBatchFromStream, streamNameOf } from './readBatchFromStream.js';

/** Where markers of redriven objects go, in the same bucket: `redriven/<original key>.json`. */
export const DEFAULT_MARKER_PREFIX = 'redriven/';

/** Options of {@link redriveFailures}. */
export interface RedriveOptions {
  s3: S3Client;
  /** Reads records back from the stream for objects that hold only `KinesisBatchInfo`. */
  kinesis: KinesisClient;
  /** Bucket of the on-failure destination (the rejects bucket). */
  bucket: string;
  /** Prefix of on-failure objects, `rejects.onFailurePrefix` (`aws/lambda/`). */
  prefix: string;
  /** The aggregate handler's dependencies (store, rejects sink, metrics, catalog...), without `attempts` and `now`. */
  aggregation: Omit<AggregateDependencies, 'attempts' | 'now'>;
  /** The shard ledgers the live handler keeps in the aggregates table. */
  ledger: DynamoShardLedger;
  /** Markers are written under this prefix. @default 'redriven/' */
  markerPrefix?: string;
  /** List and count, but apply nothing and write no marker. @default false */
  dryRun?: boolean;
  /** Only objects last modified at or after this time. */
  since?: Date;
  /** Only objects last modified before this time. */
  until?: Date;
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
  /** Valid events the object's records hold. */
  eventsFolded?: number;
  /** Aggregate items this run added to; 0 when every record was already counted. */
  itemsApplied?: number;
  /** Events refused as bad input (written to the rejects sink). */
  eventsRejected?: number;
  /** The shard the batch was given up on. */
  shardId?: string;
  /** The watermark lane the records were applied in. */
  lane?: number;
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
  /** Records applied (or, in a dry run, that would be). */
  records: number;
  bytes: number;
  /** Events counted by this run. */
  eventsFolded: number;
  /** Source shards of the objects redriven (or that would be). */
  shards: string[];
}

/** The marker written once every record of an object was applied. */
export interface RedriveMarker {
  sourceKey: string;
  redrivenAt: string;
  source: RecordSource;
  records: number;
  bytes: number;
  condition: string | undefined;
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  /** The watermark lane the records were applied in. */
  lane: number;
  eventsFolded: number;
  eventsRejected: number;
}

/** An on-failure object listed, not yet read. */
interface ListedObject {
  key: string;
  lastModified: Date;
}

/** An on-failure object read and parsed. */
interface ParsedObject extends ListedObject {
  parsed: OnFailureRecord;
}

/**
 * Applies the records of Lambda on-failure objects to the aggregates, exactly
 * once, with the aggregate handler's own code:
 *
 * 1. Lists the objects under `prefix` (paged) and skips those with a marker
 *    `<markerPrefix><key>.json`.
 * 2. Reads each object; its records come from its payload or, for objects
 *    that hold only `KinesisBatchInfo`, from the shard by sequence number.
 * 3. Per source shard, in sequence order, finds the lane the records were
 *    given up in (the shard ledger's gap; if the handler has not yet seen a
 *    batch after the give-up, records the gap itself) and runs the handler's
 *    fold and conditional updates on the original records in that lane: the
 *    watermarks frozen at the give-up skip every record an item had already
 *    absorbed, and move as records are applied, so a second run (or a run
 *    that stopped before writing its marker) adds nothing.
 * 4. Writes the marker. Nothing is deleted and nothing is put on the stream,
 *    so the archive (which read the records when they arrived) holds them once.
 *
 * Objects of one shard are applied in sequence order. An object that fails
 * stops the later objects of its shard (they would otherwise move watermarks
 * past its records), and an object outside `since`/`until` that is not yet
 * redriven holds back the later objects of its shard; objects of other
 * shards go on.
 *
 * @example
 * const summary = await redriveFailures({ s3, kinesis, bucket: 'streamfold-rejects',
 *   prefix: 'aws/lambda/', aggregation, ledger, dryRun: true });
 * console.log(`${summary.wouldRedrive} objects, ${summary.records} records`);
 */
export async function redriveFailures(options: RedriveOptions): Promise<RedriveSummary> {
  const markerPrefix = options.markerPrefix ?? DEFAULT_MARKER_PREFIX;
  const listed = await listObjects(options.s3, options.bucket, options.prefix);
  const markers = new Set(
    (await listObjects(options.s3, options.bucket, `${markerPrefix}${options.prefix}`)).map(
      (o) => o.key,
    ),
  );
  const inWindow = (o: ListedObject) =>
    (!options.since || o.lastModified >= options.since) &&
    (!options.until || o.lastModified < options.until);
  const total = listed.filter(inWindow).length;
  const objects: ObjectOutcome[] = [];
  const settle = (outcome: ObjectOutcome) => {
    objects.push(outcome);
    options.onObject?.(outcome, objects.length, total);
  };

  // Every unmarked object is read (in the window or not), so shard order can be kept.
  const byShard = new Map<string, { object: ParsedObject; selected: boolean }[]>();
  for (const object of listed) {
    const selected = inWindow(object);
    if (markers.has(markerKey(markerPrefix, object.key))) {
      if (selected) settle({ key: object.key, status: 'already-redriven', records: 0, bytes: 0 });
      continue;
    }
    try {
      const parsed = parseOnFailureRecord(await readText(options, object.key), object.key);
      const shardObjects = byShard.get(parsed.batchInfo.shardId) ?? [];
      shardObjects.push({ object: { ...object, parsed }, selected });
      byShard.set(parsed.batchInfo.shardId, shardObjects);
    } catch (error) {
      if (selected) settle(failed(object.key, error));
    }
  }

  for (const [shardId, shardObjects] of byShard) {
    shardObjects.sort((a, b) =>
      compareSequence(
        a.object.parsed.batchInfo.startSequenceNumber,
        b.object.parsed.batchInfo.startSequenceNumber,
      ),
    );
    let blockedBy: string | undefined;
    for (const { object, selected } of shardObjects) {
      if (!selected) {
        // An earlier batch of the shard left out by the window: later ones must wait for it.
        blockedBy ??= object.key;
        continue;
      }
      if (blockedBy !== undefined) {
        settle({
          ...failed(object.key, undefined),
          shardId,
          error: `waits for ${blockedBy}, an earlier batch of ${shardId} that is not redriven yet (redrive it first, or widen --since/--until)`,
        });
        continue;
      }
      const outcome = await redriveObject(options, markerPrefix, object).catch(
        (error: unknown): ObjectOutcome => ({ ...failed(object.key, error), shardId }),
      );
      settle(outcome);
      if (outcome.status === 'failed') blockedBy = object.key;
    }
  }

  const moved = objects.filter((o) => o.status === 'redriven' || o.status === 'would-redrive');
  const count = (status: ObjectOutcome['status']) =>
    objects.filter((o) => o.status === status).length;
  return {
    objects,
    outsideWindow: listed.length - total,
    redriven: count('redriven'),
    wouldRedrive: count('would-redrive'),
    alreadyRedriven: count('already-redriven'),
    failed: count('failed'),
    records: moved.reduce((sum, o) => sum + o.records, 0),
    bytes: moved.reduce((sum, o) => sum + o.bytes, 0),
    eventsFolded: moved.reduce((sum, o) => sum + (o.eventsFolded ?? 0), 0),
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
  object: ParsedObject,
): Promise<ObjectOutcome> {
  const { parsed, key } = object;
  const { batchInfo } = parsed;
  const source: RecordSource = parsed.records ? 'payload' : 'stream';
  const records: FailedRecord[] =
    parsed.records ??
    (await readBatchFromStream(options.kinesis, streamNameOf(batchInfo.streamArn), batchInfo));
  const bytes = records.reduce((sum, r) => sum + r.data.length, 0);
  const base = { key, source, records: records.length, bytes, shardId: batchInfo.shardId };
  if (options.dryRun) return { ...base, status: 'would-redrive' };

  const first = sequenceOrderKey(batchInfo.startSequenceNumber);
  const last = sequenceOrderKey(batchInfo.endSequenceNumber);
  // Records the give-up if no live batch has yet (the shard may be idle since).
  const { state } = await options.ledger.update(batchInfo.shardId, async (current) =>
    recordGiveUp(current, {
      first,
      last,
      lastArrivalMs: records.at(-1)?.arrivalMs,
      now: Date.now(),
    }),
  );
  // Event times are judged against each record's arrival, as on the live path; a record whose
  // arrival the object does not give is judged as of the give-up.
  const givenUpAt = Date.parse(parsed.timestamp ?? '') || object.lastModified.getTime();
  const totals = { eventsFolded: 0, eventsRejected: 0, itemsApplied: 0 };
  const lanes: number[] = [];
  // Each record in its own lane: a batch can straddle a gap's start (records before the
  // reported failure were counted in full where they were tried).
  for (const run of runsByLane(state, records)) {
    // Not live: recovery writes a frozen lane, which the lane marker must not fence.
    const scope = scopeOf(state, batchInfo.shardId, run.lane, run.first, false);
    const { response, summary } = await aggregateKinesisBatch(
      invocationEvent(run.records, batchInfo.shardId, batchInfo.streamArn, givenUpAt),
      { ...options.aggregation, attempts: fixedScope(scope) },
    );
    if (response.batchItemFailures.length > 0) {
      throw new Error(
        `${summary.failedRecords} of ${records.length} records could not be applied ` +
          `(from ${response.batchItemFailures[0]?.itemIdentifier}); nothing is lost, run again`,
      );
    }
    totals.eventsFolded += summary.eventsFolded;
    totals.eventsRejected += summary.eventsRejected;
    totals.itemsApplied += summary.itemsApplied;
    lanes.push(run.lane);
  }
  const lane = lanes.at(-1) ?? state.lane;
  const marker: RedriveMarker = {
    sourceKey: key,
    redrivenAt: new Date().toISOString(),
    source,
    records: records.length,
    bytes,
    condition: parsed.condition,
    shardId: batchInfo.shardId,
    startSequenceNumber: batchInfo.startSequenceNumber,
    endSequenceNumber: batchInfo.endSequenceNumber,
    lane,
    eventsFolded: totals.eventsFolded,
    eventsRejected: totals.eventsRejected,
  };
  await options.s3.send(
    new PutObjectCommand({
      Bucket: options.bucket,
      Key: markerKey(markerPrefix, key),
      Body: JSON.stringify(marker),
      ContentType: 'application/json',
    }),
  );
  return {
    ...base,
    status: 'redriven',
    lane,
    eventsFolded: totals.eventsFolded,
    itemsApplied: totals.itemsApplied,
    eventsRejected: totals.eventsRejected,
  };
}

/** Consecutive records of the same lane (see `laneOfRecord`), in order. */
function runsByLane(
  state: ShardLedgerState,
  records: readonly FailedRecord[],
): { lane: number; first: string; records: FailedRecord[] }[] {
  const runs: { lane: number; first: string; records: FailedRecord[] }[] = [];
  for (const record of records) {
    const order = sequenceOrderKey(record.sequenceNumber);
    const lane = laneOfRecord(state, order);
    const current = runs.at(-1);
    if (current && current.lane === lane) current.records.push(record);
    else runs.push({ lane, first: order, records: [record] });
  }
  return runs;
}

/** The invocation event Lambda would have sent for `records`. */
function invocationEvent(
  records: readonly FailedRecord[],
  shardId: string,
  streamArn: string,
  fallbackArrivalMs: number,
): KinesisStreamEvent {
  return {
    Records: records.map(
      (r): KinesisStreamRecord => ({
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: r.partitionKey,
          sequenceNumber: r.sequenceNumber,
          data: r.data.toString('base64'),
          // 0 is no arrival at all (Kinesis always stamps one).
          approximateArrivalTimestamp: (r.arrivalMs || fallbackArrivalMs) / 1_000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shardId}:${r.sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: '',
        awsRegion: streamArn.split(':')[3] ?? '',
        eventSourceARN: streamArn,
      }),
    ),
  };
}

function failed(key: string, error: unknown): ObjectOutcome {
  return {
    key,
    status: 'failed',
    records: 0,
    bytes: 0,
    error: error instanceof Error ? error.message : String(error),
  };
}

function compareSequence(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

async function readText(options: RedriveOptions, key: string): Promise<string> {
  const object = await options.s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
  return (await object.Body?.transformToString('utf8')) ?? '';
}

/** Every object under `prefix`, following continuation tokens (1,000 keys a page). */
async function listObjects(s3: S3Client, bucket: string, prefix: string): Promise<ListedObject[]> {
  const objects: ListedObject[] = [];
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
