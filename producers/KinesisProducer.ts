import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  type KinesisClient,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
  type PutRecordsResultEntry,
} from '@aws-sdk/client-kinesis';
import { KINESIS_LIMITS, PACKED_RECORD_TARGET_BYTES } from '../core/codec/limits.js';
import { encodeEventLine, packLines } from '../core/codec/ndjsonCodec.js';
import { type EventCatalog, eventCatalog } from '../core/events/catalog.js';
import type { StreamfoldEvent } from '../core/events/envelope.js';
import { validateEventObject } from '../core/events/validateEvent.js';
import { backoffDelay } from './backoff.js';
import {
  EventTooLargeError,
  InvalidEventError,
  ProducerClosedError,
  ProducerError,
  PutFailedError,
} from './errors.js';
import { describeError, isRetryableCallError } from './retryPolicy.js';
import { nonNegative, positive } from './validateOptions.js';

/** Length of the random partition keys, in hex characters (128 bits). */
const PARTITION_KEY_HEX_CHARS = 32;

/** Options of {@link KinesisProducer}. */
export interface KinesisProducerOptions {
  /** A Kinesis client; against kinesalite give it `requestHandler: new NodeHttpHandler()`. */
  client: KinesisClient;
  streamName: string;
  /** Events are validated against this catalog before they are buffered. @default the sample catalog */
  catalog?: EventCatalog;
  /** Events buffered or in flight before `put()` waits for room (backpressure). @default 100000 */
  maxBufferedEvents?: number;
  /** How long to gather events before sending a partly filled call, ms. @default 50 */
  lingerMs?: number;
  /** Target size of a packed record, bytes. @default 25600 (one PUT payload unit) */
  recordTargetBytes?: number;
  /** PutRecords calls in flight at once. @default 4 */
  maxInFlightRequests?: number;
  /** Attempts per record, the first included, before its events are rejected. @default 10 */
  maxAttempts?: number;
  /** First retry delay ceiling, ms. @default 100 */
  baseBackoffMs?: number;
  /** Largest retry delay ceiling, ms. @default 5000 */
  maxBackoffMs?: number;
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
  /** Events whose `put()` was finally rejected. */
  eventsFailed: number;
  /** Records sent, first attempts and retries. */
  recordsSent: number;
  /** Records sent again after a per-entry or whole-call failure. */
  recordsRetried: number;
  /** Entries refused with ProvisionedThroughputExceededException. */
  recordsThrottled: number;
  putRecordsCalls: number;
  /** Data bytes sent, retries included. */
  bytesSent: number;
}

interface PendingEvent {
  line: Buffer;
  resolve: (ack: PutAcknowledgement) => void;
  reject: (error: Error) => void;
}

interface OutgoingRecord {
  data: Buffer;
  partitionKey: string;
  events: PendingEvent[];
  attempts: number;
}

/**
 * Batches events into PutRecords calls, packing several events per record as
 * NDJSON, and re-sends only the entries Kinesis refused, with capped
 * exponential backoff and jitter.
 *
 * `put()` resolves once Kinesis acknowledged the record carrying the event, or
 * rejects with a {@link ProducerError}. When `maxBufferedEvents` are waiting,
 * `put()` first waits for room, so a producer that awaits its puts cannot
 * outrun the stream.
 *
 * Emits `'acknowledged'` (event count) and `'retry'` (record count, reason); never `'error'`,
 * since every failure already rejects the `put()` it belongs to.
 *
 * @example
 * const producer = new KinesisProducer({ client, streamName: 'streamfold-events' });
 * await producer.put({ id, type: 'purchase', time, source: 'web-shop', data: { ... } });
 * await producer.close();
 */
export class KinesisProducer extends EventEmitter {
  readonly #client: KinesisClient;
  readonly #streamName: string;
  readonly #catalog: EventCatalog;
  readonly #maxBufferedEvents: number;
  readonly #lingerMs: number;
  readonly #recordTargetBytes: number;
  readonly #maxInFlight: number;
  readonly #maxAttempts: number;
  readonly #baseBackoffMs: number;
  readonly #maxBackoffMs: number;

  /** Events not yet packed: `#pending[#pendingHead..]` (a head index keeps dequeuing O(1)). */
  #pending: PendingEvent[] = [];
  #pendingHead = 0;
  #pendingBytes = 0;
  #retries: OutgoingRecord[] = [];
  /** Events buffered, waiting for retry or in flight. */
  #outstanding = 0;
  #inFlight = 0;
  #lingerTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Number of `flush()` calls waiting; while any is, nothing lingers. */
  #flushing = 0;
  readonly #roomWaiters: (() => void)[] = [];
  readonly #idleWaiters: (() => void)[] = [];
  readonly #backoffTimers = new Set<NodeJS.Timeout>();

  /** Counters since creation; read at any time. */
  public readonly stats: ProducerStats = {
    eventsPut: 0,
    eventsAcknowledged: 0,
    eventsFailed: 0,
    recordsSent: 0,
    recordsRetried: 0,
    recordsThrottled: 0,
    putRecordsCalls: 0,
    bytesSent: 0,
  };

  public constructor(options: KinesisProducerOptions) {
    super();
    this.#client = options.client;
    this.#streamName = options.streamName;
    this.#catalog = options.catalog ?? eventCatalog;
    this.#maxBufferedEvents = positive('maxBufferedEvents', options.maxBufferedEvents ?? 100_000);
    this.#lingerMs = nonNegative('lingerMs', options.lingerMs ?? 50);
    this.#recordTargetBytes = positive(
      'recordTargetBytes',
      options.recordTargetBytes ?? PACKED_RECORD_TARGET_BYTES,
    );
    this.#maxInFlight = positive('maxInFlightRequests', options.maxInFlightRequests ?? 4);
    this.#maxAttempts = positive('maxAttempts', options.maxAttempts ?? 10);
    this.#baseBackoffMs = nonNegative('baseBackoffMs', options.baseBackoffMs ?? 100);
    this.#maxBackoffMs = nonNegative('maxBackoffMs', options.maxBackoffMs ?? 5_000);
  }

  /** Events buffered, waiting for a retry or in flight. */
  public get bufferedEvents(): number {
    return this.#outstanding;
  }

  /**
   * Validates and buffers one event; resolves when Kinesis acknowledged it.
   *
   * @throws {InvalidEventError} the event does not match the catalog (nothing is sent)
   * @throws {EventTooLargeError} the encoded event does not fit in one record
   * @throws {PutFailedError} Kinesis refused it for good or after `maxAttempts`
   * @throws {ProducerClosedError} after `close()`
   */
  public async put(event: StreamfoldEvent): Promise<PutAcknowledgement> {
    if (this.#closed) throw new ProducerClosedError();
    const validation = validateEventObject(event, this.#catalog);
    if (!validation.ok) throw new InvalidEventError(validation.reason);
    const line = encodeEventLine(event);
    const limit = KINESIS_LIMITS.maxRecordBytes - PARTITION_KEY_HEX_CHARS;
    if (line.length > limit) throw new EventTooLargeError(line.length, limit);

    while (this.#outstanding >= this.#maxBufferedEvents) {
      await new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
      if (this.#closed) throw new ProducerClosedError();
    }
    this.#outstanding++;
    this.stats.eventsPut++;
    return new Promise<PutAcknowledgement>((resolve, reject) => {
      this.#pending.push({ line, resolve, reject });
      this.#pendingBytes += line.length;
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

  /** Refuses new events, flushes the buffer and waits for every event to settle. */
  public async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    for (const wake of this.#roomWaiters.splice(0)) wake();
  }

  #schedule(): void {
    if (this.#pendingBytes >= KINESIS_LIMITS.maxBytesPerPutRecords || this.#flushing > 0) {
      this.#clearLinger();
      this.#pump(true);
      return;
    }
    this.#lingerTimer ??= setTimeout(() => {
      this.#lingerTimer = undefined;
      this.#pump(true);
    }, this.#lingerMs);
  }

  #pendingCount(): number {
    return this.#pending.length - this.#pendingHead;
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
        if (this.#pendingCount() > 0) this.#schedule();
      });
    }
  }

  /** Takes up to 500 records / 5 MiB: retries first, then newly packed events. */
  #takeBatch(drainAll: boolean): OutgoingRecord[] {
    const batch: OutgoingRecord[] = [];
    let bytes = 0;
    const fits = (record: OutgoingRecord) =>
      batch.length < KINESIS_LIMITS.maxRecordsPerPutRecords &&
      bytes + record.data.length + record.partitionKey.length <=
        KINESIS_LIMITS.maxBytesPerPutRecords;
    while (this.#retries.length > 0 && fits(this.#retries[0] as OutgoingRecord)) {
      const record = this.#retries.shift() as OutgoingRecord;
      batch.push(record);
      bytes += record.data.length + record.partitionKey.length;
    }
    if (!drainAll && this.#pendingBytes < KINESIS_LIMITS.maxBytesPerPutRecords) return batch;
    while (this.#pendingCount() > 0 && batch.length < KINESIS_LIMITS.maxRecordsPerPutRecords) {
      const record = this.#packOne();
      if (!fits(record)) {
        // Give its events back; they start the next call.
        this.#pendingHead -= record.events.length;
        this.#pendingBytes += record.data.length;
        break;
      }
      batch.push(record);
      bytes += record.data.length + record.partitionKey.length;
    }
    if (this.#pendingHead > 4_096 && this.#pendingHead * 2 > this.#pending.length) {
      this.#pending = this.#pending.slice(this.#pendingHead);
      this.#pendingHead = 0;
    }
    return batch;
  }

  /** Packs the longest run of pending events that fits one record. */
  #packOne(): OutgoingRecord {
    const events: PendingEvent[] = [];
    let size = 0;
    while (this.#pendingHead < this.#pending.length) {
      const next = this.#pending[this.#pendingHead] as PendingEvent;
      if (size > 0 && size + next.line.length > this.#recordTargetBytes) break;
      events.push(next);
      this.#pendingHead++;
      size += next.line.length;
    }
    this.#pendingBytes -= size;
    const [data] = packLines(
      events.map((e) => e.line),
      Number.POSITIVE_INFINITY,
    );
    return {
      data: data ?? Buffer.alloc(0),
      partitionKey: randomPartitionKey(),
      events,
      attempts: 0,
    };
  }

  async #send(batch: OutgoingRecord[]): Promise<void> {
    for (const record of batch) {
      record.attempts++;
      if (record.attempts > 1) this.stats.recordsRetried++;
      this.stats.recordsSent++;
      this.stats.bytesSent += record.data.length;
    }
    this.stats.putRecordsCalls++;
    const entries: PutRecordsRequestEntry[] = batch.map((r) => ({
      Data: r.data,
      PartitionKey: r.partitionKey,
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
    batch.forEach((record, index) => {
      const result = results[index];
      if (result?.SequenceNumber && result.ShardId && !result.ErrorCode) {
        this.#acknowledge(record, {
          shardId: result.ShardId,
          sequenceNumber: result.SequenceNumber,
        });
        return;
      }
      if (result?.ErrorCode === 'ProvisionedThroughputExceededException')
        this.stats.recordsThrottled++;
      retry.push(record);
    });
    if (retry.length > 0) {
      const first = results[batch.indexOf(retry[0] as OutgoingRecord)];
      this.#retryLater(retry, first?.ErrorCode ?? 'MissingResult', first?.ErrorMessage);
    }
  }

  #retryLater(records: OutgoingRecord[], reason: string, detail: unknown): void {
    const exhausted = records.filter((r) => r.attempts >= this.#maxAttempts);
    for (const record of exhausted) {
      this.#fail(
        record,
        reason,
        `record refused ${record.attempts} times, last with ${reason}: ${describeError(detail)}`,
      );
    }
    const again = records.filter((r) => r.attempts < this.#maxAttempts);
    if (again.length === 0) return;
    this.emit('retry', again.length, reason);
    const attempt = Math.max(...again.map((r) => r.attempts));
    const timer = setTimeout(
      () => {
        this.#backoffTimers.delete(timer);
        this.#retries.push(...again);
        this.#pump(true);
      },
      backoffDelay(attempt, this.#baseBackoffMs, this.#maxBackoffMs),
    );
    this.#backoffTimers.add(timer);
  }

  #acknowledge(record: OutgoingRecord, ack: PutAcknowledgement): void {
    for (const event of record.events) event.resolve(ack);
    this.stats.eventsAcknowledged += record.events.length;
    this.emit('acknowledged', record.events.length);
    this.#settled(record.events.length);
  }

  #fail(record: OutgoingRecord, code: string, message: string, cause?: unknown): void {
    const error = new PutFailedError(
      message,
      code,
      record.attempts,
      cause === undefined ? undefined : { cause },
    );
    for (const event of record.events) event.reject(error);
    this.stats.eventsFailed += record.events.length;
    this.#settled(record.events.length);
  }

  #settled(count: number): void {
    this.#outstanding -= count;
    while (this.#roomWaiters.length > 0 && this.#outstanding < this.#maxBufferedEvents) {
      this.#roomWaiters.shift()?.();
    }
    if (this.#outstanding === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
  }
}

function randomPartitionKey(): string {
  // Random keys spread packed records evenly over the shards.
  return randomBytes(PARTITION_KEY_HEX_CHARS / 2).toString('hex');
}
