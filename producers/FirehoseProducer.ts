import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import {
  type FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchResponseEntry,
} from '@aws-sdk/client-firehose';
import { FIREHOSE_LIMITS, FIREHOSE_RECORD_TARGET_BYTES } from '../core/codec/limits.js';
import { encodeEventLine } from '../core/codec/ndjsonCodec.js';
import type { CatalogEvent, EventCatalog } from '../core/events/catalog.js';
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
import { describeError, isRetryableCallError } from './retryPolicy.js';
import { nonNegative, positive, requireCatalog } from './validateOptions.js';

/** Options of {@link FirehoseProducer}. */
export interface FirehoseProducerOptions<C extends EventCatalog = EventCatalog> {
  /** A Firehose client (against the local endpoint, any credentials work). */
  client: FirehoseClient;
  /** A delivery stream whose source is direct PUT. */
  deliveryStreamName: string;
  /** The event catalog (the configuration's `catalog`): events are validated against it before they are buffered. */
  catalog: C;
  /** Events buffered or in flight before `put()` waits for room (backpressure). @default 100000 */
  maxBufferedEvents?: number;
  /**
   * How long to gather events before sending a partly filled call, ms. Firehose
   * holds data in its own buffer for seconds to minutes before S3 sees it, so
   * 100 ms here is invisible downstream and fills records closer to whole
   * billing increments when traffic is light.
   * @default 100
   */
  lingerMs?: number;
  /** Target size of a packed record, bytes (at most 1,024,000). @default 25000 (five 5 KB billing increments) */
  recordTargetBytes?: number;
  /** PutRecordBatch calls in flight at once. @default 4 */
  maxInFlightRequests?: number;
  /** Attempts per record, the first included, before its events are rejected. @default 10 */
  maxAttempts?: number;
  /** First retry delay ceiling, ms. @default 100 */
  baseBackoffMs?: number;
  /** Largest retry delay ceiling, ms. @default 5000 */
  maxBackoffMs?: number;
  /**
   * An event not acknowledged this long after `put()` was called rejects with a
   * {@link RecordExpiredError}, ms.
   * @default 30000 (the KPL's RecordTtl default)
   */
  recordTtlMs?: number;
}

/** Where an event landed: the id Firehose gave the record that carried it. */
export interface FirehoseAcknowledgement {
  recordId: string;
}

/** Counters since the producer was created. */
export interface FirehoseProducerStats {
  /** Events accepted by `put()` into the buffer. */
  eventsPut: number;
  /** Events whose `put()` resolved. */
  eventsAcknowledged: number;
  /** Events whose `put()` was finally rejected, expired ones included. */
  eventsFailed: number;
  /**
   * Events rejected with {@link RecordExpiredError}. Puts that expired while
   * waiting for room count here only: they were never accepted.
   */
  eventsExpired: number;
  /**
   * Events that expired while their record was in flight and were then stored
   * after all: putting them again would store them twice.
   */
  eventsDeliveredAfterExpiry: number;
  /** Records sent, first attempts and retries. */
  recordsSent: number;
  /** Records sent again after a per-entry or whole-call failure. */
  recordsRetried: number;
  /** Records Firehose stored. */
  recordsAcknowledged: number;
  putRecordBatchCalls: number;
  /** Record data bytes sent, retries included. */
  bytesSent: number;
  /** Stored record bytes rounded up per record to 5 KB increments, as Firehose meters ingestion. */
  bytesBilled: number;
  /** From `put()` to acknowledgement, per acknowledged event. */
  ackLatencyMs: HistogramSummary;
}

/** Events a {@link FirehoseProducer} emits. */
export interface FirehoseProducerEvents {
  /** A record was stored: how many waiting events it acknowledged, and its id. */
  acknowledged: [events: number, recordId: string];
  /** Records will be sent again after a backoff: how many, and the error that refused them. */
  retry: [records: number, reason: string];
}

interface PendingEvent {
  line: Buffer;
  /** `performance.now()` when `put()` was called. */
  putAt: number;
  deadline: number;
  settled: boolean;
  /** The record carrying the event, once packed. */
  record: OutgoingRecord | undefined;
  resolve: (ack: FirehoseAcknowledgement) => void;
  reject: (error: Error) => void;
}

interface OutgoingRecord {
  data: Buffer;
  events: PendingEvent[];
  attempts: number;
  inFlight: boolean;
}

interface RoomWaiter {
  grant: () => void;
  refuse: (error: Error) => void;
}

/**
 * Sends events to an Amazon Data Firehose delivery stream with direct PUT:
 * validates each event, packs several events per record as NDJSON up to a
 * target size, batches records into PutRecordBatch calls within the API limits
 * ({@link FIREHOSE_LIMITS}), and re-sends only the entries Firehose marked
 * failed, with capped exponential backoff and full jitter. Whole calls that
 * fail with throttling, service faults or network errors are retried; other
 * errors reject the call's events at once.
 *
 * `put()` resolves with the record id once Firehose stored the record carrying
 * the event, or rejects with a {@link ProducerError}: invalid events and events
 * too large for a record before anything is sent, a {@link PutFailedError}
 * after `maxAttempts`, a {@link RecordExpiredError} when `recordTtlMs` passes
 * first. When `maxBufferedEvents` are waiting, `put()` first waits for room
 * (first come, first served), so a caller that awaits its puts cannot outrun
 * the delivery stream.
 *
 * Emits `'acknowledged'` and `'retry'` (see {@link FirehoseProducerEvents});
 * never `'error'`, since every failure already rejects the `put()` it belongs to.
 *
 * @example
 * import { FirehoseClient } from '@aws-sdk/client-firehose';
 *
 * const producer = new FirehoseProducer({
 *   client: new FirehoseClient({}),
 *   deliveryStreamName: 'streamfold-direct',
 * });
 * producer.on('retry', (records, reason) => console.warn(`${records} records retried: ${reason}`));
 * const { recordId } = await producer.put({
 *   id: crypto.randomUUID(), type: 'purchase', time: new Date().toISOString(), source: 'web-shop',
 *   data: { orderId: 'o-1', amount: 42.5, currency: 'EUR', items: 1, country: 'DE' },
 * });
 * await producer.close(); // sends what is buffered and waits for it
 */
export class FirehoseProducer<
  C extends EventCatalog = EventCatalog,
> extends EventEmitter<FirehoseProducerEvents> {
  readonly #client: FirehoseClient;
  readonly #deliveryStreamName: string;
  readonly #catalog: EventCatalog;
  readonly #maxBufferedEvents: number;
  readonly #lingerMs: number;
  readonly #recordTargetBytes: number;
  readonly #maxInFlight: number;
  readonly #maxAttempts: number;
  readonly #baseBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #recordTtlMs: number;

  /** Events not yet packed: `#pending[#pendingHead..]`; settled (expired) ones are skipped. */
  #pending: PendingEvent[] = [];
  #pendingHead = 0;
  /** Line bytes of the unsettled events in `#pending`. */
  #pendingBytes = 0;
  /** Number of unsettled events in `#pending`. */
  #pendingEvents = 0;
  #retries: OutgoingRecord[] = [];
  /** Every buffered event in `put()` order, for the TTL. */
  readonly #expiry = new ExpiryQueue<PendingEvent>(
    (event) => event.settled,
    (due) => this.#expireDue(due),
  );
  /** Unsettled events plus slots granted to waiting puts. */
  #outstanding = 0;
  #inFlight = 0;
  #lingerTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Number of `flush()` calls waiting; while any is, nothing lingers. */
  #flushing = 0;
  readonly #roomWaiters: RoomWaiter[] = [];
  readonly #idleWaiters: (() => void)[] = [];
  readonly #latency = new LogHistogram();
  readonly #counters: Omit<FirehoseProducerStats, 'ackLatencyMs'> = {
    eventsPut: 0,
    eventsAcknowledged: 0,
    eventsFailed: 0,
    eventsExpired: 0,
    eventsDeliveredAfterExpiry: 0,
    recordsSent: 0,
    recordsRetried: 0,
    recordsAcknowledged: 0,
    putRecordBatchCalls: 0,
    bytesSent: 0,
    bytesBilled: 0,
  };

  /** @throws {ProducerError} naming an option that is out of range */
  public constructor(options: FirehoseProducerOptions<C>) {
    super();
    requireCatalog(options.catalog);
    if (!options.deliveryStreamName) {
      throw new ProducerError(
        `deliveryStreamName must be a delivery stream name (given ${JSON.stringify(options.deliveryStreamName)})`,
      );
    }
    this.#client = options.client;
    this.#deliveryStreamName = options.deliveryStreamName;
    this.#catalog = options.catalog;
    this.#maxBufferedEvents = positive('maxBufferedEvents', options.maxBufferedEvents ?? 100_000);
    this.#lingerMs = nonNegative('lingerMs', options.lingerMs ?? 100);
    this.#recordTargetBytes = positive(
      'recordTargetBytes',
      options.recordTargetBytes ?? FIREHOSE_RECORD_TARGET_BYTES,
    );
    if (this.#recordTargetBytes > FIREHOSE_LIMITS.maxRecordBytes) {
      throw new ProducerError(
        `recordTargetBytes must be at most ${FIREHOSE_LIMITS.maxRecordBytes}, the largest Firehose record (given ${this.#recordTargetBytes})`,
      );
    }
    this.#maxInFlight = positive('maxInFlightRequests', options.maxInFlightRequests ?? 4);
    this.#maxAttempts = positive('maxAttempts', options.maxAttempts ?? 10);
    this.#baseBackoffMs = nonNegative('baseBackoffMs', options.baseBackoffMs ?? 100);
    this.#maxBackoffMs = nonNegative('maxBackoffMs', options.maxBackoffMs ?? 5_000);
    this.#recordTtlMs = positive('recordTtlMs', options.recordTtlMs ?? 30_000);
  }

  /** Counters since creation; a fresh snapshot on every read. */
  public get stats(): FirehoseProducerStats {
    return { ...this.#counters, ackLatencyMs: this.#latency.summary() };
  }

  /** Events buffered, waiting for a retry or in flight. */
  public get bufferedEvents(): number {
    return this.#outstanding;
  }

  /**
   * Validates and buffers one event; resolves when Firehose stored the record carrying it.
   *
   * @throws {InvalidEventError} the event does not match the catalog (nothing is sent)
   * @throws {EventTooLargeError} the encoded event does not fit in one Firehose record
   * @throws {PutFailedError} Firehose refused it for good or after `maxAttempts`
   * @throws {RecordExpiredError} not acknowledged within `recordTtlMs`
   * @throws {ProducerClosedError} after `close()`, or when `close()` is called while it waits for room
   */
  public async put(event: CatalogEvent<C>): Promise<FirehoseAcknowledgement> {
    const putAt = performance.now();
    if (this.#closed) throw new ProducerClosedError();
    const validation = validateEventObject(event, this.#catalog);
    if (!validation.ok) throw new InvalidEventError(validation.reason);
    const line = encodeEventLine(event);
    if (line.length > FIREHOSE_LIMITS.maxRecordBytes) {
      throw new EventTooLargeError(
        line.length,
        FIREHOSE_LIMITS.maxRecordBytes,
        'a Firehose record',
      );
    }
    const deadline = putAt + this.#recordTtlMs;
    await this.#reserveRoom(deadline);
    this.#counters.eventsPut++;
    return new Promise<FirehoseAcknowledgement>((resolve, reject) => {
      const pending: PendingEvent = {
        line,
        putAt,
        deadline,
        settled: false,
        record: undefined,
        resolve,
        reject,
      };
      this.#pending.push(pending);
      this.#pendingBytes += line.length;
      this.#pendingEvents++;
      this.#expiry.push(pending);
      this.#schedule();
    });
  }

  /** Sends everything buffered now and resolves when every event put so far has settled. */
  public async flush(): Promise<void> {
    this.#clearLinger();
    this.#flushing++;
    try {
      this.#pump(true);
      if (this.#outstanding === 0) return;
      await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    } finally {
      this.#flushing--;
    }
  }

  /**
   * Refuses new events (puts still waiting for room reject with
   * {@link ProducerClosedError}), sends what is buffered and waits until every
   * accepted event has settled, requests in flight included.
   */
  public async close(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#roomWaiters.splice(0)) waiter.refuse(new ProducerClosedError());
    await this.flush();
  }

  /** Takes a buffer slot, waiting in line while the buffer is full, until `deadline`. */
  #reserveRoom(deadline: number): Promise<void> {
    if (this.#outstanding < this.#maxBufferedEvents && this.#roomWaiters.length === 0) {
      this.#outstanding++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: RoomWaiter = {
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
        refuse: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(
        () => {
          const index = this.#roomWaiters.indexOf(waiter);
          if (index >= 0) this.#roomWaiters.splice(index, 1);
          this.#counters.eventsExpired++;
          reject(new RecordExpiredError(this.#recordTtlMs, false, 0));
        },
        Math.max(0, deadline - performance.now()),
      );
      this.#roomWaiters.push(waiter);
    });
  }

  #schedule(): void {
    if (this.#flushing > 0) {
      this.#clearLinger();
      this.#pump(true);
      return;
    }
    // Full calls go at once; what is left waits for the linger timer.
    if (this.#pendingFillsCall()) this.#pump(false);
    if (this.#pendingEvents === 0) return;
    this.#lingerTimer ??= setTimeout(() => {
      this.#lingerTimer = undefined;
      this.#pump(true);
    }, this.#lingerMs);
  }

  /**
   * Whether the pending events make at least one full call: 4 MiB of data, or
   * 500 records (each record holds one event at least, and about
   * `recordTargetBytes` of them).
   */
  #pendingFillsCall(): boolean {
    const records = Math.min(
      this.#pendingEvents,
      Math.floor(this.#pendingBytes / this.#recordTargetBytes),
    );
    return (
      this.#pendingBytes >= FIREHOSE_LIMITS.maxBytesPerPutRecordBatch ||
      records >= FIREHOSE_LIMITS.maxRecordsPerPutRecordBatch
    );
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
        if (this.#pendingEvents > 0) this.#schedule();
      });
    }
  }

  /** Takes up to 500 records / 4 MiB of data: retries first, then newly packed events. */
  #takeBatch(drainAll: boolean): OutgoingRecord[] {
    const batch: OutgoingRecord[] = [];
    let bytes = 0;
    const fits = (size: number) =>
      batch.length < FIREHOSE_LIMITS.maxRecordsPerPutRecordBatch &&
      bytes + size <= FIREHOSE_LIMITS.maxBytesPerPutRecordBatch;
    while (this.#retries.length > 0) {
      const record = this.#retries[0] as OutgoingRecord;
      dropSettledEvents(record);
      if (record.events.length > 0 && !fits(record.data.length)) break;
      this.#retries.shift();
      if (record.events.length === 0) continue;
      batch.push(record);
      bytes += record.data.length;
    }
    if (!drainAll && !this.#pendingFillsCall()) return batch;
    while (batch.length < FIREHOSE_LIMITS.maxRecordsPerPutRecordBatch) {
      const next = this.#peekRecord();
      if (next === undefined || !fits(next.size)) break;
      this.#pendingHead = next.end;
      this.#pendingBytes -= next.size;
      this.#pendingEvents -= next.events.length;
      const record: OutgoingRecord = {
        data: Buffer.concat(
          next.events.map((e) => e.line),
          next.size,
        ),
        events: next.events,
        attempts: 0,
        inFlight: false,
      };
      for (const event of next.events) event.record = record;
      batch.push(record);
      bytes += next.size;
    }
    if (this.#pendingHead > 4_096 && this.#pendingHead * 2 > this.#pending.length) {
      this.#pending = this.#pending.slice(this.#pendingHead);
      this.#pendingHead = 0;
    }
    return batch;
  }

  /** The longest run of unsettled pending events that fits one record, without taking it. */
  #peekRecord(): { events: PendingEvent[]; size: number; end: number } | undefined {
    const events: PendingEvent[] = [];
    let size = 0;
    let index = this.#pendingHead;
    for (; index < this.#pending.length; index++) {
      const next = this.#pending[index] as PendingEvent;
      if (next.settled) continue;
      if (size > 0 && size + next.line.length > this.#recordTargetBytes) break;
      events.push(next);
      size += next.line.length;
    }
    if (events.length === 0) {
      this.#pendingHead = index;
      return undefined;
    }
    return { events, size, end: index };
  }

  async #send(batch: OutgoingRecord[]): Promise<void> {
    for (const record of batch) {
      record.attempts++;
      record.inFlight = true;
      if (record.attempts > 1) this.#counters.recordsRetried++;
      this.#counters.recordsSent++;
      this.#counters.bytesSent += record.data.length;
    }
    this.#counters.putRecordBatchCalls++;
    let results: PutRecordBatchResponseEntry[];
    try {
      const response = await this.#client.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: this.#deliveryStreamName,
          Records: batch.map((record) => ({ Data: record.data })),
        }),
      );
      results = response.RequestResponses ?? [];
    } catch (error) {
      for (const record of batch) record.inFlight = false;
      const name = error instanceof Error ? error.name : 'UnknownError';
      if (isRetryableCallError(error)) {
        this.#retryLater(batch, name, error);
      } else {
        for (const record of batch)
          this.#fail(record, name, `PutRecordBatch failed: ${describeError(error)}`, error);
      }
      return;
    }
    const retry: OutgoingRecord[] = [];
    let firstError: PutRecordBatchResponseEntry | undefined;
    batch.forEach((record, index) => {
      record.inFlight = false;
      const result = results[index];
      if (result?.RecordId && !result.ErrorCode) {
        this.#acknowledge(record, result.RecordId);
        return;
      }
      // Only entries marked failed (or missing from a short response) go again; the
      // accepted ones are stored and are never re-sent.
      firstError ??= result ?? { ErrorCode: 'MissingResult', ErrorMessage: 'no response entry' };
      retry.push(record);
    });
    if (retry.length > 0) {
      this.#retryLater(retry, firstError?.ErrorCode ?? 'MissingResult', firstError?.ErrorMessage);
    }
  }

  #retryLater(records: OutgoingRecord[], reason: string, detail: unknown): void {
    const live = records.filter((record) => record.events.some((event) => !event.settled));
    for (const record of live.filter((r) => r.attempts >= this.#maxAttempts)) {
      this.#fail(
        record,
        reason,
        `record refused ${record.attempts} times, last with ${reason}: ${describeError(detail)}`,
      );
    }
    const again = live.filter((record) => record.attempts < this.#maxAttempts);
    if (again.length === 0) return;
    this.emit('retry', again.length, reason);
    const attempt = Math.max(...again.map((record) => record.attempts));
    setTimeout(
      () => {
        this.#retries.push(...again);
        this.#pump(true);
      },
      backoffDelay(attempt, this.#baseBackoffMs, this.#maxBackoffMs),
    );
  }

  #acknowledge(record: OutgoingRecord, recordId: string): void {
    const now = performance.now();
    let count = 0;
    for (const event of record.events) {
      if (event.settled) {
        this.#counters.eventsDeliveredAfterExpiry++;
        continue;
      }
      event.settled = true;
      event.resolve({ recordId });
      this.#latency.record(now - event.putAt);
      count++;
    }
    this.#counters.recordsAcknowledged++;
    this.#counters.bytesBilled +=
      Math.ceil(Math.max(1, record.data.length) / FIREHOSE_LIMITS.billingIncrementBytes) *
      FIREHOSE_LIMITS.billingIncrementBytes;
    this.#counters.eventsAcknowledged += count;
    if (count > 0) this.emit('acknowledged', count, recordId);
    this.#settled(count);
  }

  #fail(record: OutgoingRecord, code: string, message: string, cause?: unknown): void {
    const error = new PutFailedError(
      message,
      code,
      record.attempts,
      cause === undefined ? undefined : { cause },
    );
    let count = 0;
    for (const event of record.events) {
      if (event.settled) continue;
      event.settled = true;
      event.reject(error);
      count++;
    }
    this.#counters.eventsFailed += count;
    this.#settled(count);
  }

  /** Rejects the events whose TTL passed. */
  #expireDue(due: PendingEvent[]): void {
    for (const event of due) {
      event.settled = true;
      const { record } = event;
      // Not packed yet: it leaves the pending bytes; packing skips settled events.
      if (!record) {
        this.#pendingBytes -= event.line.length;
        this.#pendingEvents--;
      }
      event.reject(
        new RecordExpiredError(this.#recordTtlMs, record?.inFlight ?? false, record?.attempts ?? 0),
      );
    }
    this.#counters.eventsExpired += due.length;
    this.#counters.eventsFailed += due.length;
    this.#settled(due.length);
  }

  #settled(count: number): void {
    this.#outstanding -= count;
    while (this.#roomWaiters.length > 0 && this.#outstanding < this.#maxBufferedEvents) {
      this.#outstanding++;
      this.#roomWaiters.shift()?.grant();
    }
    if (this.#outstanding === 0) {
      // Everything has settled: drop the references and the TTL timer.
      this.#expiry.stop();
      this.#pending = [];
      this.#pendingHead = 0;
      for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }
}

/** Rebuilds a refused record without its settled (expired) events before it is sent again. */
function dropSettledEvents(record: OutgoingRecord): void {
  if (record.events.every((event) => !event.settled)) return;
  record.events = record.events.filter((event) => !event.settled);
  record.data = Buffer.concat(record.events.map((event) => event.line));
}
