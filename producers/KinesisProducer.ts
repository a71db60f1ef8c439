import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import {
  type KinesisClient,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
  type PutRecordsResultEntry,
} from '@aws-sdk/client-kinesis';
import { KINESIS_LIMITS, PACKED_RECORD_TARGET_BYTES } from '../core/codec/limits.js';
import { encodeEventLine } from '../core/codec/ndjsonCodec.js';
import type { CatalogEvent, EventCatalog } from '../core/events/catalog.js';
import {
  checkStorableValues,
  type ValueSource,
  valueSourcesOf,
} from '../core/events/checkStorableValues.js';
import { validateEventObject } from '../core/events/validateEvent.js';
import { type HistogramSummary, LogHistogram } from '../core/stats/LogHistogram.js';
import { backoffDelay } from './backoff.js';
import { ExpiryQueue } from './ExpiryQueue.js';
import {
  EventTooLargeError,
  InvalidEventError,
  ProducerClosedError,
  ProducerError,
  PutFailedError,
  RecordExpiredError,
} from './errors.js';
import { createRecordDraft, PACKING_MODES, type PackingMode } from './RecordDraft.js';
import { describeError, isRetryableCallError } from './retryPolicy.js';
import { partitionKeyHash, ShardMap, type ShardRoute } from './ShardMap.js';
import { TokenBucket } from './TokenBucket.js';
import { atMost, MAX_TIMER_MS, nonNegative, positive, requireCatalog } from './validateOptions.js';

/** Per-shard write limits of Kinesis Data Streams (provisioned and on-demand alike). */
export const SHARD_WRITE_LIMITS = { recordsPerSecond: 1_000, bytesPerSecond: 1024 * 1024 } as const;

/** Where log lines go: `console`, a Powertools `Logger`, or anything with these two methods. */
export interface ProducerLogger {
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
}

/** Options of {@link KinesisProducer}. */
export interface KinesisProducerOptions<C extends EventCatalog = EventCatalog> {
  /** A Kinesis client; against kinesalite give it `requestHandler: new NodeHttpHandler()`. */
  client: KinesisClient;
  streamName: string;
  /**
   * The event catalog (the configuration's `catalog`): `put()` accepts only its
   * events, checked by type at compile time and by schema before buffering.
   */
  catalog: C;
  /**
   * The metric definitions the events are aggregated by (the configuration's `metrics`):
   * values they read are refused with `InvalidEventError` (`unstorable_number`) where the
   * aggregate handler would refuse them, as numbers DynamoDB could not sum exactly.
   * @default none - only the catalog is checked; the handler still refuses such values
   */
  // Spelled out rather than picked from the configuration schema, so the published
  // declarations of the producer do not carry the whole schema's types.
  metrics?: readonly { on: string | string[]; value?: string }[];
  /** How events are put into records. @default 'ndjson' */
  packing?: PackingMode;
  /** Target size of a packed record's data, bytes. @default 25600 (one PUT payload unit) */
  recordTargetBytes?: number;
  /**
   * Learn the shards' hash-key ranges (ListShards), pack per destination shard
   * and route with `ExplicitHashKey`. Without it (or while ListShards fails,
   * e.g. without `kinesis:ListShards` permission) records are routed by
   * partition key and no per-shard rate limit applies. @default true
   */
  shardAware?: boolean;
  /** How often the shard map is re-read, besides on signs of resharding, ms. @default 60000 */
  shardMapRefreshMs?: number;
  /**
   * Per-shard write budget; `false` turns rate limiting off.
   * @default SHARD_WRITE_LIMITS (1,000 records/s and 1 MiB/s per shard)
   */
  rateLimit?: { recordsPerSecond: number; bytesPerSecond: number } | false;
  /** An event not acknowledged this long after `put()` is rejected with RecordExpiredError, ms. @default 30000 */
  recordTtlMs?: number;
  /** Events buffered or in flight before `put()` waits for room (backpressure). @default 100000 */
  maxBufferedEvents?: number;
  /** How long to gather events before sending a partly filled call, ms. @default 50 */
  lingerMs?: number;
  /** PutRecords calls in flight at once. @default 4 */
  maxInFlightRequests?: number;
  /** Attempts per record, the first included, before its events are rejected. @default 10 */
  maxAttempts?: number;
  /** First retry delay ceiling, ms. @default 100 */
  baseBackoffMs?: number;
  /** Largest retry delay ceiling, ms. @default 5000 */
  maxBackoffMs?: number;
  /** Logs warnings (shard map problems) and, every `statsIntervalMs`, the stats. */
  logger?: ProducerLogger;
  /** How often `'stats'` is emitted and logged, ms; 0 turns it off. @default 60000 */
  statsIntervalMs?: number;
}

/** Per-event options of {@link KinesisProducer.put}. */
export interface PutOptions {
  /**
   * Decides the shard: events with the same key keep their order. Up to 256
   * characters. @default the event's `id` (spreads events evenly)
   */
  partitionKey?: string;
}

/** Where an event landed. */
export interface PutAcknowledgement {
  shardId: string;
  sequenceNumber: string;
}

/** Counters since the producer was created. */
export interface ProducerStats {
  /** Events accepted by `put()`. */
  eventsPut: number;
  /** Events Kinesis acknowledged. */
  eventsAcknowledged: number;
  /** Events whose `put()` was finally rejected (expired ones included). */
  eventsFailed: number;
  /** Events rejected because their TTL passed. */
  eventsExpired: number;
  /** Records sent, first attempts and retries. */
  recordsSent: number;
  /** Records sent again after a per-entry or whole-call failure. */
  recordsRetried: number;
  /** Entries refused with ProvisionedThroughputExceededException. */
  recordsThrottled: number;
  putRecordsCalls: number;
  /** Data and partition-key bytes sent, retries included. */
  bytesSent: number;
  /** Times the shard map was (re)loaded. */
  shardMapLoads: number;
  /** Records acknowledged. */
  recordsAcknowledged: number;
  /** PUT payload units (25 KB each, rounded up per record) of the acknowledged records: what Kinesis bills. */
  putPayloadUnits: number;
}

/** Stats plus acknowledgement latency percentiles, ms (within 1 %). */
export interface ProducerStatsSnapshot extends ProducerStats {
  ackLatencyMs: HistogramSummary;
  bufferedEvents: number;
  inFlightRequests: number;
}

/** The events a {@link KinesisProducer} emits, with their arguments. */
export interface KinesisProducerEvents {
  /** A record was acknowledged: its event count, shard, and the events' latencies, ms. */
  acknowledged: [events: number, shardId: string, latenciesMs: readonly number[]];
  /** Records will be re-sent after a backoff; `reason` is the error code. */
  retry: [records: number, reason: string];
  /** Entries were refused with ProvisionedThroughputExceededException. */
  throttled: [records: number];
  /** Events were finally rejected. */
  failed: [events: number, error: ProducerError];
  /** The shard map was (re)loaded. */
  shardMap: [shards: readonly ShardRoute[], reason: string];
  /** Every `statsIntervalMs`. */
  stats: [snapshot: ProducerStatsSnapshot];
}

type EventState = 'queued' | 'sending' | 'settled';

interface PendingEvent {
  /** Admission order, for flush(). */
  seq: number;
  /** Whether a call has carried it: an expired event that was sent may still have landed. */
  sent: boolean;
  line: Buffer;
  partitionKey: string;
  hash: bigint;
  putAt: number;
  deadline: number;
  state: EventState;
  resolve: (ack: PutAcknowledgement) => void;
  reject: (error: Error) => void;
}

/** Events waiting for one destination shard, and that shard's write budget. */
interface ShardLane {
  /** `undefined` for the lane used without a shard map. */
  route: ShardRoute | undefined;
  queue: PendingEvent[];
  head: number;
  bytes: number;
  records: TokenBucket | undefined;
  bytesBudget: TokenBucket | undefined;
}

interface OutgoingRecord {
  lane: ShardLane;
  data: Buffer;
  partitionKey: string;
  explicitHashKey: string | undefined;
  events: PendingEvent[];
  attempts: number;
}

const UNROUTED = 'unrouted';
/** 2^128 − 1: the longest `ExplicitHashKey`, for worst-case KPL record sizes. */
const LONGEST_HASH_KEY = (2n ** 128n - 1n).toString();

/**
 * Batches events into PutRecords calls and keeps every shard inside its write
 * limits. Events are validated against the catalog, packed per destination
 * shard (NDJSON by default, KPL aggregation, or one per record), routed with
 * `ExplicitHashKey`, paced by a per-shard token bucket, and re-sent entry by
 * entry when Kinesis refuses some of a call, with capped exponential backoff
 * and full jitter.
 *
 * `put()` resolves once Kinesis acknowledged the record carrying the event, or
 * rejects with a {@link ProducerError}: invalid (never sent), too large,
 * refused for good, or not acknowledged within `recordTtlMs`. When
 * `maxBufferedEvents` are waiting, `put()` first waits for room, so a producer
 * that awaits its puts cannot outrun the stream.
 *
 * Emits the events of {@link KinesisProducerEvents}; never `'error'`, since
 * every failure already rejects the `put()` it belongs to.
 *
 * @example
 * const producer = new KinesisProducer({ client, streamName: 'streamfold-events' });
 * producer.on('retry', (records, reason) => console.warn(`${records} records retried: ${reason}`));
 * await producer.put({ id, type: 'purchase', time, source: 'web-shop',
 *   data: { orderId: 'o-1', amount: 42.5, currency: 'EUR', items: 1, country: 'DE' } });
 * await producer.close(); // flushes
 */
export class KinesisProducer<
  C extends EventCatalog = EventCatalog,
> extends EventEmitter<KinesisProducerEvents> {
  readonly #client: KinesisClient;
  readonly #streamName: string;
  readonly #catalog: EventCatalog;
  readonly #valueSources: readonly ValueSource[];
  readonly #packing: PackingMode;
  readonly #recordTargetBytes: number;
  readonly #shardAware: boolean;
  readonly #shardMapRefreshMs: number;
  readonly #rateLimit: { recordsPerSecond: number; bytesPerSecond: number } | false;
  readonly #recordTtlMs: number;
  readonly #maxBufferedEvents: number;
  readonly #lingerMs: number;
  readonly #maxInFlight: number;
  readonly #maxAttempts: number;
  readonly #baseBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #logger: ProducerLogger | undefined;

  #lanes = new Map<string, ShardLane>();
  #shardMap: ShardMap | undefined;
  #shardMapReady: Promise<void> | undefined;
  #shardMapLoading = false;
  #lastShardMapLoad = 0;
  #rotation = 0;
  #queuedEvents = 0;
  #queuedBytes = 0;
  #retries: OutgoingRecord[] = [];
  /** Every unsettled event in put order, for the record TTL. */
  readonly #expiry = new ExpiryQueue<PendingEvent>(
    (event) => event.state === 'settled',
    (due) => this.#expire(due),
  );
  /** Sequence number of the latest event in `#expiry`. */
  #lastSeq = 0;
  readonly #flushWaiters: { upTo: number; resolve: () => void }[] = [];
  /** Events not yet settled. */
  #outstanding = 0;
  #inFlight = 0;
  #backingOff = 0;
  #closed = false;
  /** Number of `flush()` calls waiting; while any is, nothing lingers. */
  #flushing = 0;
  #lingerTimer: NodeJS.Timeout | undefined;
  #pumpSoon: NodeJS.Immediate | undefined;
  #rateTimer: NodeJS.Timeout | undefined;
  readonly #housekeeping: NodeJS.Timeout[] = [];
  readonly #roomWaiters: (() => void)[] = [];
  readonly #idleWaiters: (() => void)[] = [];
  readonly #backoffTimers = new Set<NodeJS.Timeout>();
  readonly #latency = new LogHistogram();

  /** Counters since creation; read at any time. */
  public readonly stats: ProducerStats = {
    eventsPut: 0,
    eventsAcknowledged: 0,
    eventsFailed: 0,
    eventsExpired: 0,
    recordsSent: 0,
    recordsRetried: 0,
    recordsThrottled: 0,
    putRecordsCalls: 0,
    bytesSent: 0,
    shardMapLoads: 0,
    recordsAcknowledged: 0,
    putPayloadUnits: 0,
  };

  public constructor(options: KinesisProducerOptions<C>) {
    super();
    requireCatalog(options.catalog);
    this.#client = options.client;
    this.#streamName = options.streamName;
    this.#catalog = options.catalog;
    this.#valueSources = valueSourcesOf(options.metrics ?? []);
    this.#packing = options.packing ?? 'ndjson';
    if (!PACKING_MODES.includes(this.#packing)) {
      throw new ProducerError(
        `packing must be one of ${PACKING_MODES.join(', ')} (given ${String(options.packing)})`,
      );
    }
    this.#recordTargetBytes = atMost(
      'recordTargetBytes',
      positive('recordTargetBytes', options.recordTargetBytes ?? PACKED_RECORD_TARGET_BYTES),
      KINESIS_LIMITS.maxRecordBytes,
    );
    this.#shardAware = options.shardAware ?? true;
    this.#shardMapRefreshMs = atMost(
      'shardMapRefreshMs',
      positive('shardMapRefreshMs', options.shardMapRefreshMs ?? 60_000),
      MAX_TIMER_MS,
    );
    const rateLimit = options.rateLimit ?? SHARD_WRITE_LIMITS;
    this.#rateLimit = rateLimit && {
      recordsPerSecond: positive('rateLimit.recordsPerSecond', rateLimit.recordsPerSecond),
      bytesPerSecond: positive('rateLimit.bytesPerSecond', rateLimit.bytesPerSecond),
    };
    this.#recordTtlMs = atMost(
      'recordTtlMs',
      positive('recordTtlMs', options.recordTtlMs ?? 30_000),
      MAX_TIMER_MS,
    );
    this.#maxBufferedEvents = positive('maxBufferedEvents', options.maxBufferedEvents ?? 100_000);
    this.#lingerMs = atMost(
      'lingerMs',
      nonNegative('lingerMs', options.lingerMs ?? 50),
      MAX_TIMER_MS,
    );
    this.#maxInFlight = positive('maxInFlightRequests', options.maxInFlightRequests ?? 4);
    this.#maxAttempts = positive('maxAttempts', options.maxAttempts ?? 10);
    this.#baseBackoffMs = nonNegative('baseBackoffMs', options.baseBackoffMs ?? 100);
    this.#maxBackoffMs = atMost(
      'maxBackoffMs',
      nonNegative('maxBackoffMs', options.maxBackoffMs ?? 5_000),
      MAX_TIMER_MS,
    );
    this.#logger = options.logger;
    const statsIntervalMs = atMost(
      'statsIntervalMs',
      nonNegative('statsIntervalMs', options.statsIntervalMs ?? 60_000),
      MAX_TIMER_MS,
    );
    if (statsIntervalMs > 0) {
      this.#housekeeping.push(setInterval(() => this.#reportStats(), statsIntervalMs).unref());
    }
  }

  /** Events buffered, waiting for a retry or in flight. */
  public get bufferedEvents(): number {
    return this.#outstanding;
  }

  /** The buffer size at which `put()` starts to wait for room. */
  public get maxBufferedEvents(): number {
    return this.#maxBufferedEvents;
  }

  /** The open shards the producer routes to; empty until the first `put()` or without a shard map. */
  public get shards(): readonly ShardRoute[] {
    return this.#shardMap?.routes ?? [];
  }

  /**
   * Validates and buffers one event; resolves when Kinesis acknowledged it.
   *
   * @throws {InvalidEventError} the event does not match the catalog, or carries a value the
   *   `metrics` could not store (nothing is sent)
   * @throws {EventTooLargeError} the encoded event does not fit in one record
   * @throws {PutFailedError} Kinesis refused it for good or after `maxAttempts`
   * @throws {RecordExpiredError} not acknowledged within `recordTtlMs`
   * @throws {ProducerClosedError} after `close()`
   */
  public async put(event: CatalogEvent<C>, options: PutOptions = {}): Promise<PutAcknowledgement> {
    if (this.#closed) throw new ProducerClosedError();
    const validation = validateEventObject(event, this.#catalog);
    if (!validation.ok) throw new InvalidEventError(validation.reason);
    const unstorable = checkStorableValues(validation.event, this.#valueSources);
    if (unstorable) throw new InvalidEventError(unstorable);
    const partitionKey = options.partitionKey ?? event.id;
    if (partitionKey.length < 1 || partitionKey.length > KINESIS_LIMITS.maxPartitionKeyLength) {
      throw new ProducerError(
        `partitionKey must be 1..${KINESIS_LIMITS.maxPartitionKeyLength} characters (given ${partitionKey.length})`,
      );
    }
    const line = encodeEventLine(event);
    this.#checkFits(line, partitionKey);

    while (this.#outstanding >= this.#maxBufferedEvents) {
      await new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
      if (this.#closed) throw new ProducerClosedError();
    }
    // Counted before the shard map is awaited, so a flush() right after put() waits for it.
    this.#outstanding++;
    this.stats.eventsPut++;
    if (this.#shardAware) await this.#ensureShardMap();
    return new Promise<PutAcknowledgement>((resolve, reject) => {
      const putAt = performance.now();
      const pending: PendingEvent = {
        seq: ++this.#lastSeq,
        sent: false,
        line,
        partitionKey,
        hash: partitionKeyHash(partitionKey),
        putAt,
        deadline: putAt + this.#recordTtlMs,
        state: 'queued',
        resolve,
        reject,
      };
      this.#enqueue(pending);
      this.#expiry.push(pending);
      this.#schedule();
    });
  }

  /**
   * Sends everything buffered now and resolves when every event put before the
   * call has settled (events put meanwhile do not hold it up).
   */
  public async flush(): Promise<void> {
    this.#clearLinger();
    this.#flushing++;
    try {
      // Puts admitted before this call wait for the same shard map; after it they are all queued.
      if (this.#shardMapReady) await this.#shardMapReady;
      const upTo = this.#lastSeq;
      this.#pump(true);
      if (this.#settledUpTo(upTo)) return;
      await new Promise<void>((resolve) => this.#flushWaiters.push({ upTo, resolve }));
    } finally {
      this.#flushing--;
    }
  }

  /**
   * Refuses new events, flushes the buffer, waits until every event has
   * settled and no call is in flight or backing off, then stops its timers.
   */
  public async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    if (!this.#idle()) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    for (const wake of this.#roomWaiters.splice(0)) wake();
    for (const timer of this.#housekeeping) clearInterval(timer);
    this.#expiry.stop();
    clearTimeout(this.#rateTimer);
    if (this.#pumpSoon) clearImmediate(this.#pumpSoon);
    if (this.#lingerTimer) clearTimeout(this.#lingerTimer);
  }

  /** Counters plus latency percentiles and the current buffer. */
  public snapshot(): ProducerStatsSnapshot {
    return {
      ...this.stats,
      ackLatencyMs: this.#latency.summary(),
      bufferedEvents: this.#outstanding,
      inFlightRequests: this.#inFlight,
    };
  }

  #checkFits(line: Buffer, partitionKey: string): void {
    const keyBytes = Buffer.byteLength(partitionKey);
    // Only a KPL record adds framing (magic, key tables, checksum: under 2 × key + 128 bytes);
    // a one-event draft, with the longest hash key a shard can carry, is built only near the limit.
    const nearLimit = line.length + 3 * keyBytes + 256 > KINESIS_LIMITS.maxRecordBytes;
    const bytes =
      this.#packing === 'kpl' && nearLimit
        ? createRecordDraft('kpl', LONGEST_HASH_KEY).sizeWith({ line, partitionKey }) + keyBytes
        : line.length + keyBytes;
    if (bytes > KINESIS_LIMITS.maxRecordBytes) {
      throw new EventTooLargeError(bytes, KINESIS_LIMITS.maxRecordBytes);
    }
  }

  // ---- shard map -------------------------------------------------------------------------

  #ensureShardMap(): Promise<void> {
    if (!this.#shardMapReady) {
      this.#shardMapReady = this.#loadShardMap('start');
      this.#housekeeping.push(
        setInterval(() => void this.#loadShardMap('schedule'), this.#shardMapRefreshMs).unref(),
      );
    }
    return this.#shardMapReady;
  }

  /** Loads the shard map and moves queued events of closed shards to their new lanes. */
  async #loadShardMap(reason: string): Promise<void> {
    if (this.#shardMapLoading) return;
    this.#shardMapLoading = true;
    this.#lastShardMapLoad = performance.now();
    try {
      const map = await ShardMap.load(this.#client, this.#streamName);
      this.stats.shardMapLoads++;
      this.#shardMap = map;
      this.#rebuildLanes(map);
      this.#notify('shardMap', map.routes, reason);
    } catch (error) {
      // Without a map the producer still works: records are routed by partition key.
      this.#logger?.warn('could not list shards; routing by partition key until the next refresh', {
        stream: this.#streamName,
        error: describeError(error),
      });
    } finally {
      this.#shardMapLoading = false;
    }
  }

  /** Asks for a reload after a sign of resharding, at most once a second. */
  #suspectReshard(reason: string): void {
    if (performance.now() - this.#lastShardMapLoad < 1_000) return;
    void this.#loadShardMap(reason).then(() => this.#pump(this.#flushing > 0));
  }

  #rebuildLanes(map: ShardMap): void {
    const previous = this.#lanes;
    this.#lanes = new Map();
    for (const route of map.routes) {
      const kept = previous.get(route.shardId);
      if (kept) {
        kept.route = route;
        this.#lanes.set(route.shardId, kept);
        previous.delete(route.shardId);
      } else {
        this.#lanes.set(route.shardId, this.#newLane(route));
      }
    }
    // Closed shards and the unrouted lane hand their events to the lanes that own them now.
    for (const lane of previous.values()) {
      for (let i = lane.head; i < lane.queue.length; i++) {
        const event = lane.queue[i] as PendingEvent;
        this.#queuedEvents--;
        this.#queuedBytes -= event.line.length;
        if (event.state !== 'settled') this.#enqueue(event);
      }
    }
    // Records packed for a shard that closed are unpacked: their events may now belong to different children.
    this.#retries = this.#retries.filter(
      (record) => this.#laneIsCurrent(record) || this.#dissolve(record),
    );
  }

  #laneIsCurrent(record: OutgoingRecord): boolean {
    return this.#lanes.get(record.lane.route?.shardId ?? UNROUTED) === record.lane;
  }

  /** Returns a record's live events to the lanes that own them now; always false (for filters). */
  #dissolve(record: OutgoingRecord): false {
    for (const event of record.events) {
      if (event.state === 'settled') continue;
      event.state = 'queued';
      this.#enqueue(event);
    }
    return false;
  }

  #newLane(route: ShardRoute | undefined): ShardLane {
    const now = performance.now();
    const limit = route && this.#rateLimit;
    return {
      route,
      queue: [],
      head: 0,
      bytes: 0,
      records: limit ? new TokenBucket(limit.recordsPerSecond, now) : undefined,
      bytesBudget: limit ? new TokenBucket(limit.bytesPerSecond, now) : undefined,
    };
  }

  #laneFor(hash: bigint): ShardLane {
    const route = this.#shardMap?.find(hash);
    const id = route?.shardId ?? UNROUTED;
    let lane = this.#lanes.get(id);
    if (!lane) {
      lane = this.#newLane(route);
      this.#lanes.set(id, lane);
    }
    return lane;
  }

  #enqueue(event: PendingEvent): void {
    const lane = this.#laneFor(event.hash);
    lane.queue.push(event);
    lane.bytes += event.line.length;
    this.#queuedEvents++;
    this.#queuedBytes += event.line.length;
  }

  // ---- batching ---------------------------------------------------------------------------

  #schedule(): void {
    const fullCall =
      this.#queuedBytes >= KINESIS_LIMITS.maxBytesPerPutRecords ||
      (this.#packing === 'none' && this.#queuedEvents >= KINESIS_LIMITS.maxRecordsPerPutRecords);
    if (fullCall || this.#flushing > 0) {
      this.#clearLinger();
      // On the next turn, so events put in the same burst share calls instead of leaving one by one.
      this.#pumpSoon ??= setImmediate(() => {
        this.#pumpSoon = undefined;
        this.#pump(true);
      });
      return;
    }
    this.#lingerTimer ??= setTimeout(() => {
      this.#lingerTimer = undefined;
      this.#pump(true);
    }, this.#lingerMs);
  }

  #clearLinger(): void {
    if (this.#lingerTimer) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
  }

  /** Starts as many calls as the in-flight limit allows. `drainAll` sends partly filled calls too. */
  #pump(drainAll: boolean): void {
    while (this.#inFlight < this.#maxInFlight) {
      const batch = this.#takeBatch(drainAll);
      if (batch.length === 0) break;
      this.#inFlight++;
      void this.#send(batch).finally(() => {
        this.#inFlight--;
        // While flushing, partly filled calls go at once; otherwise they wait for the linger timer.
        this.#pump(this.#flushing > 0);
        if (this.#queuedEvents > 0) this.#schedule();
        this.#checkIdle();
      });
    }
  }

  /** Takes up to 500 records / 5 MiB within the shards' budgets: retries first, then new records. */
  #takeBatch(drainAll: boolean): OutgoingRecord[] {
    const batch: OutgoingRecord[] = [];
    let bytes = 0;
    let waitMs = Number.POSITIVE_INFINITY;
    const now = performance.now();
    const take = (record: OutgoingRecord) => {
      record.lane.records?.take(1, now);
      record.lane.bytesBudget?.take(recordBytes(record), now);
      batch.push(record);
      bytes += recordBytes(record);
    };

    const waiting: OutgoingRecord[] = [];
    for (const record of this.#retries) {
      // Its events may have expired while it waited for the shard's budget.
      if (!this.#keepLiveEvents(record)) continue;
      const size = recordBytes(record);
      const { records, bytesBudget } = record.lane;
      const wait = Math.max(records?.waitMs(1, now) ?? 0, bytesBudget?.waitMs(size, now) ?? 0);
      const fits =
        batch.length < KINESIS_LIMITS.maxRecordsPerPutRecords &&
        bytes + size <= KINESIS_LIMITS.maxBytesPerPutRecords;
      if (fits && wait === 0) take(record);
      else {
        if (wait > 0) waitMs = Math.min(waitMs, wait);
        waiting.push(record);
      }
    }
    this.#retries = waiting;

    if (drainAll || this.#queuedBytes >= KINESIS_LIMITS.maxBytesPerPutRecords) {
      const lanes = [...this.#lanes.values()];
      const done = new Set<ShardLane>();
      let full = false;
      // Round-robin over the shards, one record each per turn, so no shard starves another.
      while (!full && done.size < lanes.length) {
        for (let i = 0; i < lanes.length && !full; i++) {
          const lane = lanes[(this.#rotation + i) % lanes.length] as ShardLane;
          if (done.has(lane)) continue;
          if (batch.length >= KINESIS_LIMITS.maxRecordsPerPutRecords) {
            full = true;
            break;
          }
          if (lane.head >= lane.queue.length) {
            done.add(lane);
            continue;
          }
          const recordWait = lane.records?.waitMs(1, now) ?? 0;
          if (recordWait > 0) {
            waitMs = Math.min(waitMs, recordWait);
            done.add(lane);
            continue;
          }
          const callRoom = KINESIS_LIMITS.maxBytesPerPutRecords - bytes;
          const budget = lane.bytesBudget;
          const available = budget?.available(now) ?? Number.POSITIVE_INFINITY;
          // A full bucket may go into debt for one record (later records wait it off), so a
          // budget smaller than a record, or a record larger than a second's budget, still moves.
          const laneRoom =
            budget && available >= budget.ratePerSecond ? Number.POSITIVE_INFINITY : available;
          // Wait for a full record's budget rather than send a sliver: records are billed per 25 KB unit.
          // The budget is charged for the partition key too (recordBytes), so the rest of a lane
          // is wanted with its key: without it, a budget between the two split the tail in two.
          const headKey = Buffer.byteLength((lane.queue[lane.head] as PendingEvent).partitionKey);
          const wanted = Math.min(
            this.#recordTargetBytes,
            lane.bytes + headKey,
            budget?.ratePerSecond ?? Number.POSITIVE_INFINITY,
          );
          if (laneRoom < wanted && budget) {
            waitMs = Math.min(waitMs, budget.waitMs(wanted, now));
            done.add(lane);
            continue;
          }
          const packed = this.#packOne(lane, Math.min(callRoom, laneRoom));
          if (packed === undefined) done.add(lane);
          else if ('needBytes' in packed) {
            if (packed.needBytes > callRoom) full = true;
            else {
              waitMs = Math.min(waitMs, Math.max(1, budget?.waitMs(packed.needBytes, now) ?? 1));
              done.add(lane);
            }
          } else take(packed);
        }
      }
      this.#rotation++;
      for (const lane of lanes) compact(lane);
    }
    if (waitMs !== Number.POSITIVE_INFINITY && !this.#rateTimer) {
      this.#rateTimer = setTimeout(
        () => {
          this.#rateTimer = undefined;
          this.#pump(true);
        },
        Math.max(1, waitMs),
      );
    }
    return batch;
  }

  /**
   * Packs the longest run of a lane's live events that fits one record and
   * `roomBytes` (data plus partition key). Returns `undefined` when the lane
   * is empty, or the bytes its next event needs when that does not fit.
   */
  #packOne(lane: ShardLane, roomBytes: number): OutgoingRecord | { needBytes: number } | undefined {
    while (
      lane.head < lane.queue.length &&
      (lane.queue[lane.head] as PendingEvent).state === 'settled'
    ) {
      // Expired while queued: dropped without being sent.
      this.#dequeued(lane, lane.queue[lane.head] as PendingEvent);
    }
    const first = lane.queue[lane.head];
    if (!first) return undefined;
    const draft = createRecordDraft(this.#packing, lane.route?.explicitHashKey);
    const keyBytes = Buffer.byteLength(first.partitionKey);
    const firstBytes = draft.sizeWith(first) + keyBytes;
    if (firstBytes > roomBytes) return { needBytes: firstBytes };
    const limit = Math.min(
      this.#recordTargetBytes,
      roomBytes - keyBytes,
      KINESIS_LIMITS.maxRecordBytes - keyBytes,
    );
    const events: PendingEvent[] = [];
    while (lane.head < lane.queue.length) {
      const next = lane.queue[lane.head] as PendingEvent;
      if (next.state !== 'settled') {
        if (draft.count > 0 && draft.sizeWith(next) > limit) break;
        draft.add(next);
        events.push(next);
        next.state = 'sending';
      }
      this.#dequeued(lane, next);
    }
    return {
      lane,
      data: draft.build(),
      partitionKey: first.partitionKey,
      // Packed records carry events of many keys: the hash key pins them to the shard all those keys map to.
      explicitHashKey: this.#packing === 'none' ? undefined : lane.route?.explicitHashKey,
      events,
      attempts: 0,
    };
  }

  #dequeued(lane: ShardLane, event: PendingEvent): void {
    lane.head++;
    lane.bytes -= event.line.length;
    this.#queuedEvents--;
    this.#queuedBytes -= event.line.length;
  }

  // ---- sending ----------------------------------------------------------------------------

  async #send(batch: OutgoingRecord[]): Promise<void> {
    for (const record of batch) {
      for (const event of record.events) event.sent = true;
      record.attempts++;
      if (record.attempts > 1) this.stats.recordsRetried++;
      this.stats.recordsSent++;
      this.stats.bytesSent += recordBytes(record);
    }
    this.stats.putRecordsCalls++;
    const entries: PutRecordsRequestEntry[] = batch.map((r) => ({
      Data: r.data,
      PartitionKey: r.partitionKey,
      ...(r.explicitHashKey ? { ExplicitHashKey: r.explicitHashKey } : {}),
    }));
    let results: PutRecordsResultEntry[];
    try {
      const response = await this.#client.send(
        new PutRecordsCommand({ StreamName: this.#streamName, Records: entries }),
      );
      results = response.Records ?? [];
    } catch (error) {
      const name = error instanceof Error ? error.name : 'UnknownError';
      if (isRetryableCallError(error)) {
        this.#retryLater(batch, name, error);
      } else {
        for (const record of batch)
          this.#fail(record, name, `PutRecords failed: ${describeError(error)}`, error);
      }
      return;
    }
    const retry: OutgoingRecord[] = [];
    let throttled = 0;
    batch.forEach((record, index) => {
      const result = results[index];
      if (result?.SequenceNumber && result.ShardId && !result.ErrorCode) {
        this.#acknowledge(record, {
          shardId: result.ShardId,
          sequenceNumber: result.SequenceNumber,
        });
        return;
      }
      if (result?.ErrorCode === 'ProvisionedThroughputExceededException') throttled++;
      retry.push(record);
    });
    if (throttled > 0) {
      this.stats.recordsThrottled += throttled;
      this.#notify('throttled', throttled);
    }
    if (retry.length > 0) {
      const first = results[batch.indexOf(retry[0] as OutgoingRecord)];
      this.#retryLater(retry, first?.ErrorCode ?? 'MissingResult', first?.ErrorMessage);
    }
  }

  #retryLater(records: OutgoingRecord[], reason: string, detail: unknown): void {
    const again: OutgoingRecord[] = [];
    for (const record of records) {
      if (!this.#keepLiveEvents(record)) continue;
      if (record.attempts >= this.#maxAttempts) {
        this.#fail(
          record,
          reason,
          `record refused ${record.attempts} times, last with ${reason}: ${describeError(detail)}`,
        );
      } else again.push(record);
    }
    if (again.length === 0) return;
    this.#notify('retry', again.length, reason);
    const attempt = Math.max(...again.map((r) => r.attempts));
    this.#backingOff += again.length;
    const timer = setTimeout(
      () => {
        this.#backoffTimers.delete(timer);
        this.#backingOff -= again.length;
        // Events may have expired, or their shard closed, during the backoff.
        for (const record of again) {
          if (!this.#keepLiveEvents(record)) continue;
          if (this.#laneIsCurrent(record)) this.#retries.push(record);
          else this.#dissolve(record);
        }
        this.#pump(true);
        this.#checkIdle();
      },
      backoffDelay(attempt, this.#baseBackoffMs, this.#maxBackoffMs),
    );
    this.#backoffTimers.add(timer);
  }

  /** Drops expired events from a record before it is re-sent; false when none is left. */
  #keepLiveEvents(record: OutgoingRecord): boolean {
    const live = record.events.filter((event) => event.state !== 'settled');
    if (live.length === record.events.length) return true;
    if (live.length === 0) return false;
    const draft = createRecordDraft(this.#packing, record.lane.route?.explicitHashKey);
    for (const event of live) draft.add(event);
    record.events = live;
    record.data = draft.build();
    record.partitionKey = (live[0] as PendingEvent).partitionKey;
    return true;
  }

  #acknowledge(record: OutgoingRecord, ack: PutAcknowledgement): void {
    const now = performance.now();
    const latencies: number[] = [];
    for (const event of record.events) {
      if (event.state === 'settled') continue; // expired while in flight; its promise is already rejected
      event.state = 'settled';
      event.resolve(ack);
      const latency = now - event.putAt;
      latencies.push(latency);
      this.#latency.record(latency);
    }
    const expected = record.lane.route?.shardId;
    if (expected && ack.shardId !== expected) {
      this.#suspectReshard(`a record for ${expected} landed on ${ack.shardId}`);
    }
    this.stats.recordsAcknowledged++;
    this.stats.putPayloadUnits += Math.ceil(
      recordBytes(record) / KINESIS_LIMITS.putPayloadUnitBytes,
    );
    this.stats.eventsAcknowledged += latencies.length;
    this.#notify('acknowledged', latencies.length, ack.shardId, latencies);
    this.#settled(latencies.length);
  }

  #fail(record: OutgoingRecord, code: string, message: string, cause?: unknown): void {
    const error = new PutFailedError(
      message,
      code,
      record.attempts,
      cause === undefined ? undefined : { cause },
    );
    let failed = 0;
    for (const event of record.events) {
      if (event.state === 'settled') continue;
      event.state = 'settled';
      event.reject(error);
      failed++;
    }
    this.stats.eventsFailed += failed;
    this.#notify('failed', failed, error);
    this.#settled(failed);
  }

  // ---- expiry -----------------------------------------------------------------------------

  /** Whether every event up to sequence number `upTo` has settled. */
  #settledUpTo(upTo: number): boolean {
    const oldest = this.#expiry.oldest();
    return oldest === undefined || oldest.seq > upTo;
  }

  /** Rejects events whose TTL passed; the ones in a call in flight (or sent before) may still land. */
  #expire(due: PendingEvent[]): void {
    const errors = new Map<boolean, RecordExpiredError>();
    for (const event of due) {
      const maybeDelivered = event.state === 'sending' || event.sent;
      let error = errors.get(maybeDelivered);
      if (!error) {
        error = new RecordExpiredError(this.#recordTtlMs, maybeDelivered);
        errors.set(maybeDelivered, error);
      }
      event.state = 'settled';
      event.reject(error);
    }
    this.stats.eventsExpired += due.length;
    this.stats.eventsFailed += due.length;
    this.#notify('failed', due.length, [...errors.values()][0] as RecordExpiredError);
    this.#settled(due.length);
    // Expired events still sit in lanes; a pump drops them so an idle producer frees its memory.
    this.#pump(this.#flushing > 0);
  }

  // ---- settling ---------------------------------------------------------------------------

  #settled(count: number): void {
    this.#outstanding -= count;
    if (this.#flushWaiters.length > 0) {
      const head = this.#expiry.oldest();
      const done = this.#flushWaiters.filter((w) => head === undefined || head.seq > w.upTo);
      for (const waiter of done) {
        this.#flushWaiters.splice(this.#flushWaiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
    while (this.#roomWaiters.length > 0 && this.#outstanding < this.#maxBufferedEvents) {
      this.#roomWaiters.shift()?.();
    }
    this.#checkIdle();
  }

  #idle(): boolean {
    return this.#outstanding === 0 && this.#inFlight === 0 && this.#backingOff === 0;
  }

  #checkIdle(): void {
    if (this.#idle()) {
      for (const lane of this.#lanes.values()) compact(lane, true);
      for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }

  /** Emits without letting a throwing listener interrupt settlement; its error is logged. */
  #notify<K extends keyof KinesisProducerEvents>(
    event: K,
    ...args: KinesisProducerEvents[K]
  ): void {
    try {
      (this.emit as (event: K, ...args: KinesisProducerEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      this.#logger?.warn(`a '${String(event)}' listener threw; ignored`, {
        error: describeError(error),
      });
    }
  }

  #reportStats(): void {
    const snapshot = this.snapshot();
    this.#notify('stats', snapshot);
    this.#logger?.info('kinesis producer stats', { stream: this.#streamName, ...snapshot });
  }
}

/** What a record counts against the call and shard limits: data plus partition key. */
function recordBytes(record: OutgoingRecord): number {
  return record.data.length + Buffer.byteLength(record.partitionKey);
}

/** Drops the consumed head of a lane's queue once it is large, keeping dequeues O(1). */
function compact(lane: ShardLane, force = false): void {
  if (lane.head === 0) return;
  if (force || (lane.head > 4_096 && lane.head * 2 > lane.queue.length)) {
    lane.queue = lane.queue.slice(lane.head);
    lane.head = 0;
  }
}
