import { randomUUID } from 'node:crypto';
import type { _Record, KinesisClient, Shard } from '@aws-sdk/client-kinesis';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type {
  Context,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda';
import type { ChaosSettings } from '../../core/config/configSchema.js';
import type { ChaosCounters } from '../chaos/chaosFaults.js';
import type { CheckpointStore } from '../kinesis/CheckpointStore.js';
import { ShardFleet } from '../kinesis/ShardFleet.js';
import { ShardReader } from '../kinesis/ShardReader.js';

/** Lambda's payload limit for a synchronous invocation: 6 MB. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/**
 * How often a shard with nothing new is polled, ms: "Lambda polls each shard
 * in your Kinesis stream for records at a base rate of once per second. When
 * more records are available, Lambda keeps processing batches until the
 * function catches up with the stream."
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html). A read
 * that returns records is followed by the next one at once.
 */
export const LAMBDA_POLL_INTERVAL_MS = 1_000;
/** Lambda's default memory size, MB, for a runner not told the function's. */
const LAMBDA_DEFAULT_MEMORY_MB = 128;
/** Pause before retry n is base * 2^n, capped, ms. */
const RETRY_PAUSE_BASE_MS = 25;
const RETRY_PAUSE_MAX_MS = 1_000;
/** GetRecords limit per call. */
const READ_LIMIT = 10_000;

/** Handler-level faults the runner injects, with the counters it adds to. */
export interface RunnerChaos {
  settings: Pick<
    ChaosSettings,
    'handlerCrashRate' | 'handlerTimeoutRate' | 'duplicateDeliveryRate'
  >;
  counters: Pick<ChaosCounters, 'handlerCrashes' | 'handlerTimeouts' | 'duplicateDeliveries'>;
  random?: () => number;
}

/** Longest early timeout chaos mode gives an invocation, ms. */
const CHAOS_TIMEOUT_MAX_MS = 20;

/** A Lambda handler for Kinesis events. */
export type KinesisHandler = (
  event: KinesisStreamEvent,
  context: Context,
) => Promise<KinesisStreamBatchResponse | undefined>;

/** The event source mapping settings, as in `config.aggregation`, in milliseconds. */
export interface EventSourceMappingSettings {
  batchSize: number;
  maxBatchingWindowMs: number;
  bisectBatchOnError: boolean;
  maxRetryAttempts: number;
  maxRecordAgeMs: number;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  timeoutMs: number;
}

/** Options of {@link EventSourceMappingRunner}. */
export interface EventSourceMappingRunnerOptions {
  kinesis: KinesisClient;
  s3: S3Client;
  streamName: string;
  region: string;
  functionName: string;
  /**
   * The function's memory, MB (`aggregation.memorySize`), as `context.memoryLimitInMB` tells it.
   * @default 128 - Lambda's default memory size
   */
  memorySizeMb?: number;
  settings: EventSourceMappingSettings;
  handler: KinesisHandler;
  /** Handler faults to inject (`npm start -- --chaos`); off when omitted. */
  chaos?: RunnerChaos;
  checkpoints: CheckpointStore;
  /** On-failure destination: bucket and key prefix (Lambda writes under `aws/lambda/`). */
  onFailure: { bucket: string; prefix: string };
  /** Told about every invocation outcome, for logs and the status line. */
  onInvoke?: (outcome: InvocationOutcome) => void;
  /**
   * How long a shard whose last read returned nothing waits before the next read, ms.
   * @default LAMBDA_POLL_INTERVAL_MS - once a second, as Lambda polls
   */
  idlePollIntervalMs?: number;
}

/** What Lambda records of the last invocation of a batch it gives up on (`responseContext`). */
interface ResponseContext {
  statusCode: number;
  executedVersion: string;
  /** `Unhandled` when the function threw or timed out; absent when it answered. */
  functionError?: 'Unhandled';
}

/** Part of a batch still to be delivered, with what happened to its records so far. */
interface PendingPiece {
  records: _Record[];
  /** Retries spent; a split keeps the count, as "splitting batches doesn't consume the retry quota". */
  retries: number;
  /** Invocations whose event held these records (the split batch's included). */
  invocations: number;
  /** The response of the last of them, if there was one. */
  lastResponse: ResponseContext | undefined;
}

/** What happened to one invocation. */
export interface InvocationOutcome {
  shardId: string;
  records: number;
  result: 'success' | 'partial-failure' | 'function-error' | 'sent-to-on-failure';
  detail?: string;
}

/** Per-shard progress, for the status line and for waiting on a drain. */
export interface ShardProgress {
  shardId: string;
  checkpoint: string | undefined;
  millisBehindLatest: number;
  buffered: number;
  invoking: boolean;
  caughtUp: boolean;
  /**
   * When the latest read that found nothing (with nothing buffered) started, ms since
   * the epoch: a shard is drained of what was put before time T only once such a read
   * started after T. `caughtUp` alone can be stale for a whole idle poll interval.
   */
  emptyReadStartedAt: number;
}

type BatchResult =
  | { kind: 'success' }
  | { kind: 'partial'; fromIndex: number }
  | { kind: 'error'; message: string };

/**
 * Reproduces Lambda's event source mapping for Kinesis on one machine: polls
 * every shard, invokes the handler with the exact `KinesisStreamEvent` shape,
 * and applies the documented error handling:
 *
 * - batches of up to `batchSize` records (and 6 MB), gathered for up to
 *   `maxBatchingWindow`;
 * - `ReportBatchItemFailures`: checkpoint before the lowest reported sequence
 *   number and retry from there (an unknown identifier fails the whole batch);
 * - on a function error (throw or timeout), bisect the batch when enabled (a
 *   split does not count as a retry), otherwise retry it whole;
 * - after `maxRetryAttempts` retries, or once a record is older than
 *   `maxRecordAge`, write the batch with its full payload to the on-failure
 *   destination and move on;
 * - a child shard starts only after its parents are consumed.
 */
export class EventSourceMappingRunner {
  readonly #options: EventSourceMappingRunnerOptions;
  readonly #fleet: ShardFleet;
  readonly #progress = new Map<string, ShardProgress>();
  readonly #uuid = randomUUID();
  readonly #streamArn: string;
  readonly #idlePollMs: number;
  /** Ends the idle wait of each shard sleeping between empty reads. */
  readonly #wakers = new Set<() => void>();

  public constructor(options: EventSourceMappingRunnerOptions) {
    this.#options = options;
    this.#streamArn = `arn:aws:kinesis:${options.region}:000000000000:stream/${options.streamName}`;
    this.#idlePollMs = options.idlePollIntervalMs ?? LAMBDA_POLL_INTERVAL_MS;
    if (!Number.isFinite(this.#idlePollMs) || this.#idlePollMs < 0) {
      throw new Error(
        `idlePollIntervalMs must be a number of milliseconds >= 0 (given ${options.idlePollIntervalMs})`,
      );
    }
    this.#fleet = new ShardFleet(options.kinesis, options.streamName, (shard, signal) =>
      this.#consumeShard(shard, signal),
    );
    this.#fleet.onError = (error, shardId) =>
      options.onInvoke?.({
        shardId: shardId ?? '-',
        records: 0,
        result: 'function-error',
        detail: String(error),
      });
  }

  /** Starts polling. */
  public start(): Promise<void> {
    return this.#fleet.start();
  }

  /** Stops polling and waits for in-flight invocations; checkpoints are saved. */
  public async stop(): Promise<void> {
    await this.#fleet.stop();
    this.#options.checkpoints.save();
  }

  /**
   * Ends every idle wait now, so each shard reads again at once: waiting for a
   * drain (a stop, a test) need not sit out the one-second idle poll interval.
   */
  public pollNow(): void {
    const wakers = [...this.#wakers];
    this.#wakers.clear();
    for (const wake of wakers) wake();
  }

  /** Waits `ms`, or less when stopped or woken by {@link pollNow}. */
  #idle(ms: number, signal: AbortSignal): Promise<void> {
    const woken = new AbortController();
    const wake = () => woken.abort();
    this.#wakers.add(wake);
    return sleep(ms, AbortSignal.any([signal, woken.signal])).finally(() =>
      this.#wakers.delete(wake),
    );
  }

  /** Progress of every shard seen so far. */
  public progress(): ShardProgress[] {
    return [...this.#progress.values()];
  }

  async #consumeShard(shard: Shard, signal: AbortSignal): Promise<void> {
    const shardId = shard.ShardId as string;
    const { settings, checkpoints } = this.#options;
    const checkpoint = checkpoints.get(shardId);
    const reader = new ShardReader(
      this.#options.kinesis,
      this.#options.streamName,
      shardId,
      checkpoint ? { afterSequenceNumber: checkpoint } : { position: settings.startingPosition },
    );
    const progress: ShardProgress = {
      shardId,
      checkpoint,
      millisBehindLatest: 0,
      buffered: 0,
      invoking: false,
      caughtUp: false,
      emptyReadStartedAt: 0,
    };
    this.#progress.set(shardId, progress);
    let buffer: _Record[] = [];
    let closed = false;
    while (!signal.aborted) {
      let windowStart = Date.now();
      // Lambda invokes as soon as a batch is full, by records or by its 6 MB payload, and waits out
      // the batching window only for a batch that is not.
      while (
        !signal.aborted &&
        !closed &&
        buffer.length < settings.batchSize &&
        payloadBytesOf(buffer) < MAX_PAYLOAD_BYTES
      ) {
        const waited = Date.now() - windowStart;
        if (buffer.length > 0 && waited >= settings.maxBatchingWindowMs) break;
        const readStartedAt = Date.now();
        const read = await reader.read(READ_LIMIT);
        buffer = buffer.length === 0 ? read.records : buffer.concat(read.records);
        closed = read.closed;
        progress.millisBehindLatest = read.millisBehindLatest;
        progress.buffered = buffer.length;
        progress.caughtUp = read.records.length === 0 && buffer.length === 0;
        if (progress.caughtUp) progress.emptyReadStartedAt = readStartedAt;
        if (read.records.length === 0) {
          if (buffer.length === 0) windowStart = Date.now();
          const remaining =
            buffer.length === 0 ? this.#idlePollMs : settings.maxBatchingWindowMs - waited;
          await this.#idle(Math.max(0, Math.min(this.#idlePollMs, remaining)), signal);
        }
      }
      if (buffer.length === 0) {
        if (closed) return;
        continue;
      }
      const batch = takeBatch(buffer, settings.batchSize);
      buffer = buffer.slice(batch.length);
      progress.buffered = buffer.length;
      progress.invoking = true;
      progress.caughtUp = false;
      await this.#deliver(shardId, batch, progress, signal);
      progress.invoking = false;
    }
  }

  /** Delivers one batch with retries, bisection and the on-failure destination. */
  async #deliver(
    shardId: string,
    batch: _Record[],
    progress: ShardProgress,
    signal: AbortSignal,
  ): Promise<void> {
    const { settings } = this.#options;
    const pending: PendingPiece[] = [
      { records: batch, retries: 0, invocations: 0, lastResponse: undefined },
    ];
    // On stop, unfinished records stay after the checkpoint and are read again on the next start.
    while (pending.length > 0 && !signal.aborted) {
      const piece = pending[0] as PendingPiece;
      const expiredCount = countExpired(piece.records, settings.maxRecordAgeMs);
      if (expiredCount > 0) {
        await this.#sendToOnFailure(
          shardId,
          piece.records.slice(0, expiredCount),
          'RecordAgeExceeded',
          piece,
        );
        this.#checkpointGivenUp(shardId, piece.records[expiredCount - 1] as _Record, progress);
        piece.records = piece.records.slice(expiredCount);
        if (piece.records.length === 0) pending.shift();
        continue;
      }
      const result = await this.#invoke(shardId, piece.records);
      piece.invocations++;
      piece.lastResponse = responseContextOf(result);
      if (result.kind === 'success') {
        this.#checkpoint(shardId, piece.records.at(-1) as _Record, progress);
        this.#report(shardId, piece.records.length, 'success');
        pending.shift();
        continue;
      }
      if (result.kind === 'partial') {
        if (result.fromIndex > 0)
          this.#checkpoint(shardId, piece.records[result.fromIndex - 1] as _Record, progress);
        piece.records = piece.records.slice(result.fromIndex);
        this.#report(shardId, piece.records.length, 'partial-failure');
      } else {
        this.#report(shardId, piece.records.length, 'function-error', result.message);
        if (settings.bisectBatchOnError && piece.records.length > 1) {
          const half = Math.ceil(piece.records.length / 2);
          pending.splice(
            0,
            1,
            { ...piece, records: piece.records.slice(0, half) },
            { ...piece, records: piece.records.slice(half) },
          );
          continue;
        }
      }
      piece.retries++;
      if (piece.retries > settings.maxRetryAttempts) {
        await this.#sendToOnFailure(shardId, piece.records, 'RetryAttemptsExhausted', piece);
        this.#checkpointGivenUp(shardId, piece.records.at(-1) as _Record, progress);
        pending.shift();
      } else {
        // A short, growing pause keeps a failing dependency from being hammered.
        await sleep(Math.min(RETRY_PAUSE_MAX_MS, RETRY_PAUSE_BASE_MS * 2 ** piece.retries), signal);
      }
    }
  }

  async #invoke(shardId: string, records: _Record[]): Promise<BatchResult> {
    const event = this.#event(shardId, records);
    const { timeoutMs } = this.#options.settings;
    const chaos = this.#options.chaos;
    const roll = () => (chaos?.random ?? Math.random)();
    // Chaos: an early timeout while the handler keeps running, as a killed function's writes may land.
    const early = chaos && roll() < chaos.settings.handlerTimeoutRate;
    const limitMs = early ? Math.floor(roll() * CHAOS_TIMEOUT_MAX_MS) : timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          if (early && chaos) chaos.counters.handlerTimeouts++;
          reject(
            new Error(`Task timed out after ${limitMs / 1000} seconds${early ? ' (chaos)' : ''}`),
          );
        }, limitMs);
      });
      const response = await Promise.race([
        this.#options.handler(event, this.#context(timeoutMs)),
        timeout,
      ]);
      if (chaos && roll() < chaos.settings.handlerCrashRate) {
        chaos.counters.handlerCrashes++;
        return { kind: 'error', message: 'the function crashed after flushing (chaos)' };
      }
      const failures = response?.batchItemFailures ?? [];
      if (failures.length === 0) {
        if (chaos && roll() < chaos.settings.duplicateDeliveryRate) {
          // At-least-once: the same batch arrives again; its outcome changes nothing.
          chaos.counters.duplicateDeliveries++;
          await Promise.resolve(this.#options.handler(event, this.#context(timeoutMs))).catch(
            () => undefined,
          );
        }
        return { kind: 'success' };
      }
      // Lambda resumes from the lowest reported record; an unknown identifier fails the batch.
      const indexes = failures.map((f) =>
        records.findIndex((r) => r.SequenceNumber === f.itemIdentifier),
      );
      if (indexes.some((i) => i < 0)) {
        return {
          kind: 'error',
          message: 'batchItemFailures named a record that is not in the batch',
        };
      }
      return { kind: 'partial', fromIndex: Math.min(...indexes) };
    } catch (error) {
      return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
  }

  #event(shardId: string, records: _Record[]): KinesisStreamEvent {
    const { region, functionName } = this.#options;
    return {
      Records: records.map(
        (r): KinesisStreamRecord => ({
          kinesis: {
            kinesisSchemaVersion: '1.0',
            partitionKey: r.PartitionKey as string,
            sequenceNumber: r.SequenceNumber as string,
            data: Buffer.from(r.Data as Uint8Array).toString('base64'),
            approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp as Date).getTime() / 1_000,
          },
          eventSource: 'aws:kinesis',
          eventVersion: '1.0',
          eventID: `${shardId}:${r.SequenceNumber}`,
          eventName: 'aws:kinesis:record',
          invokeIdentityArn: `arn:aws:iam::000000000000:role/${functionName}`,
          awsRegion: region,
          eventSourceARN: this.#streamArn,
        }),
      ),
    };
  }

  #context(timeoutMs: number): Context {
    const { region, functionName } = this.#options;
    const deadline = Date.now() + timeoutMs;
    return {
      callbackWaitsForEmptyEventLoop: false,
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
      memoryLimitInMB: String(this.#options.memorySizeMb ?? LAMBDA_DEFAULT_MEMORY_MB),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: 'local',
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
  }

  /**
   * Writes an on-failure invocation record with the full payload, as Lambda
   * does for S3, in the documented shape (`requestContext`, `responseContext`,
   * `version`, `timestamp`, `KinesisBatchInfo`, and `payload` for S3).
   * `approximateInvokeCount` counts the invocations whose event held these
   * records; `responseContext` describes the last of them and is left out for
   * records that expired before the function ever saw them, as no response
   * exists to describe.
   */
  async #sendToOnFailure(
    shardId: string,
    records: _Record[],
    condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded',
    piece: Pick<PendingPiece, 'invocations' | 'lastResponse'>,
  ): Promise<void> {
    const { s3, onFailure, functionName, region } = this.#options;
    const now = new Date();
    const first = records[0] as _Record;
    const last = records.at(-1) as _Record;
    const body = {
      requestContext: {
        requestId: randomUUID(),
        functionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
        condition,
        approximateInvokeCount: piece.invocations,
      },
      ...(piece.lastResponse ? { responseContext: piece.lastResponse } : {}),
      version: '1.0',
      timestamp: now.toISOString(),
      KinesisBatchInfo: {
        shardId,
        startSequenceNumber: first.SequenceNumber,
        endSequenceNumber: last.SequenceNumber,
        approximateArrivalOfFirstRecord: first.ApproximateArrivalTimestamp?.toISOString(),
        approximateArrivalOfLastRecord: last.ApproximateArrivalTimestamp?.toISOString(),
        batchSize: records.length,
        streamArn: this.#streamArn,
      },
      payload: JSON.stringify(this.#event(shardId, records)),
    };
    const stamp = now.toISOString().replace(/:/g, '.').slice(0, 19);
    const day = stamp.slice(0, 10).replace(/-/g, '/');
    await s3.send(
      new PutObjectCommand({
        Bucket: onFailure.bucket,
        Key: `${onFailure.prefix}${this.#uuid}/${shardId}/${day}/${stamp}-${randomUUID()}`,
        Body: JSON.stringify(body),
        ContentType: 'application/json',
      }),
    );
    this.#report(shardId, records.length, 'sent-to-on-failure', condition);
  }

  /**
   * Checkpoints past records just sent to the on-failure destination and
   * saves at once: once the handler has seen a later batch, given-up records
   * belong to the recovery, so a restart must never deliver them again.
   */
  #checkpointGivenUp(shardId: string, record: _Record, progress: ShardProgress): void {
    this.#checkpoint(shardId, record, progress);
    this.#options.checkpoints.save();
  }

  #checkpoint(shardId: string, record: _Record, progress: ShardProgress): void {
    this.#options.checkpoints.set(shardId, record.SequenceNumber as string);
    progress.checkpoint = record.SequenceNumber;
  }

  #report(
    shardId: string,
    records: number,
    result: InvocationOutcome['result'],
    detail?: string,
  ): void {
    this.#options.onInvoke?.(
      detail === undefined ? { shardId, records, result } : { shardId, records, result, detail },
    );
  }
}

/**
 * What Lambda reports of an invocation that did not clear its batch: status
 * 200 either way (the invoke call itself succeeded), with `functionError:
 * "Unhandled"` when the function threw or timed out.
 */
function responseContextOf(result: BatchResult): ResponseContext {
  return result.kind === 'error'
    ? { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' }
    : { statusCode: 200, executedVersion: '$LATEST' };
}

/** A record's share of an invocation payload: its data in base64 and ~512 bytes of envelope. */
function payloadBytesOfRecord(record: _Record): number {
  return Math.ceil(((record.Data?.length ?? 0) * 4) / 3) + 512;
}

/** The invocation payload `records` would make, bytes. */
function payloadBytesOf(records: readonly _Record[]): number {
  let bytes = 0;
  for (const record of records) bytes += payloadBytesOfRecord(record);
  return bytes;
}

/** Takes the first records up to `batchSize` and the 6 MB payload limit (base64 counted). */
function takeBatch(buffer: _Record[], batchSize: number): _Record[] {
  let bytes = 0;
  let count = 0;
  for (const record of buffer) {
    const size = payloadBytesOfRecord(record);
    if (count >= batchSize || (count > 0 && bytes + size > MAX_PAYLOAD_BYTES)) break;
    bytes += size;
    count++;
  }
  return buffer.slice(0, count);
}

/** Leading records older than `maxAgeMs` (records arrive in order, so they form a prefix). */
function countExpired(records: _Record[], maxAgeMs: number): number {
  const oldest = Date.now() - maxAgeMs;
  let count = 0;
  while (
    count < records.length &&
    (records[count]?.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) < oldest
  ) {
    count++;
  }
  return count;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
