import { randomUUID } from 'node:crypto';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  type AttemptStart,
  finishAttempt,
  isStale,
  type LedgerGap,
  mayHaveSkipped,
  planAttempt,
  type SkipCheck,
  scopeOf,
  type WriteScope,
} from '../../core/aggregates/ShardLedger.js';
import { sequenceOrderKey } from '../../core/aggregates/sequenceOrder.js';
import type { DynamoShardLedger } from './DynamoShardLedger.js';

/** A record at the edge of a batch. */
export interface BatchEdge {
  sequenceNumber: string;
  /** Approximate arrival time, ms since the epoch. */
  arrivalMs: number;
}

/** The batch an invocation is about to apply. */
export interface BatchToTrack {
  shardId: string;
  /** ARN of the stream, from the records' `eventSourceARN`. */
  streamArn: string;
  first: BatchEdge;
  last: BatchEdge;
  /** When the invocation started, ms since the epoch. */
  invokedAtMs?: number;
}

/** An attempt in progress: where its writes go, and how to record its end. */
export interface TrackedAttempt {
  scope: WriteScope;
  /** Records this batch revealed as given up, if any. */
  gap?: LedgerGap;
  /** Every range given up on this shard so far: only the recovery applies their records. */
  gaps: readonly LedgerGap[];
  /** Size of the shard's ledger as stored, bytes (DynamoDB refuses items over 400 KB). */
  ledgerBytes?: number;
  /** Records the outcome: `failedFrom` is the order key of the lowest record reported failed. */
  finish(failedFrom: string | undefined): Promise<void>;
}

/** Decides, per batch, which lane its writes go to (see `ShardLedger`). */
export interface AttemptTracker {
  begin(batch: BatchToTrack): Promise<TrackedAttempt>;
}

/**
 * An {@link AttemptTracker} that writes every batch to `scope` and records
 * nothing: for recovery runs, whose lane is chosen from the ledger beforehand.
 */
export function fixedScope(scope: WriteScope): AttemptTracker {
  return { begin: async () => ({ scope, gaps: [], finish: async () => undefined }) };
}

/** Options of {@link DynamoAttemptTracker}. */
export interface DynamoAttemptTrackerOptions {
  /**
   * The sequence number of the record after a position (see
   * `nextSequenceNumberAfter`), read when records may have been skipped;
   * without it such a batch always opens a new lane.
   */
  nextRecordAfter?: NextRecordAfter;
  /** The mapping's `maxRecordAge`, ms; `undefined` when records never expire. */
  maxRecordAgeMs?: number;
  /**
   * How long an invocation keeps trying to reach the ledger before it fails
   * its batch, ms. A batch given up while the ledger was unreachable thus
   * took at least this long, and the next batch after so long a silence
   * looks for skipped records. @default 10 s
   */
  ledgerRetryMs?: number;
  now?: () => number;
}

/** Reads the sequence number of the record of `shardId` after `sequenceNumber`. */
export type NextRecordAfter = (
  streamName: string,
  shardId: string,
  sequenceNumber: string,
) => Promise<string | undefined>;

/**
 * A {@link NextRecordAfter} over the Kinesis SDK, loaded on first use: the
 * check is rare, and loading the Kinesis client costs a cold start about
 * 130 ms.
 */
export function lazyNextRecordAfter(createClient: () => Promise<KinesisClient>): NextRecordAfter {
  let client: Promise<KinesisClient> | undefined;
  return async (streamName, shardId, sequenceNumber) => {
    client ??= createClient();
    const { nextSequenceNumberAfter } = await import('./nextSequenceNumberAfter.js');
    return nextSequenceNumberAfter(await client, streamName, shardId, sequenceNumber);
  };
}

/** Pause between tries of an unreachable ledger, ms. */
const LEDGER_RETRY_PAUSE_MS = { first: 100, max: 1_000 } as const;

/**
 * The live {@link AttemptTracker}: one consistent read and one conditional
 * write of the shard's ledger item when a batch starts, one of each when it
 * ends. When records may have been given up without a trace before the
 * batch (see `mayHaveSkipped`), it reads the stream right after the last
 * finished record to find out. An attempt that began after a newer one, or
 * that only replays finished records, leaves the ledger as it is.
 */
export class DynamoAttemptTracker implements AttemptTracker {
  readonly #ledger: DynamoShardLedger;
  readonly #nextRecordAfter: NextRecordAfter | undefined;
  readonly #maxRecordAgeMs: number | undefined;
  readonly #ledgerRetryMs: number;
  readonly #now: () => number;

  public constructor(ledger: DynamoShardLedger, options: DynamoAttemptTrackerOptions = {}) {
    this.#ledger = ledger;
    this.#nextRecordAfter = options.nextRecordAfter;
    this.#maxRecordAgeMs = options.maxRecordAgeMs;
    this.#ledgerRetryMs = options.ledgerRetryMs ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  public async begin(batch: BatchToTrack): Promise<TrackedAttempt> {
    const token = randomUUID();
    const first = sequenceOrderKey(batch.first.sequenceNumber);
    const last = sequenceOrderKey(batch.last.sequenceNumber);
    const invokedAtMs = batch.invokedAtMs ?? this.#now();
    let gap: LedgerGap | undefined;
    let stale = false;
    const { state, bytes } = await this.#untilReachable(invokedAtMs, () =>
      this.#ledger.update(batch.shardId, async (current) => {
        const start: AttemptStart = {
          first,
          last,
          now: this.#now(),
          maxRecordAgeMs: this.#maxRecordAgeMs,
          token,
          invokedAtMs,
          untracedGiveUpMs: this.#ledgerRetryMs,
        };
        if (isStale(current, start)) {
          stale = true;
          return undefined;
        }
        stale = false;
        const check: SkipCheck =
          mayHaveSkipped(current, start) && current.done !== undefined
            ? await this.#checkStream(batch, current.done.slice(3))
            : 'unchecked';
        const plan = planAttempt(current, start, check);
        gap = plan.gap;
        return plan.state;
      }),
    );
    const scope = scopeOf(state, batch.shardId, state.lane, first, true);
    return {
      scope,
      ...(gap ? { gap } : {}),
      gaps: state.gaps,
      ledgerBytes: bytes,
      finish: async (failedFrom) => {
        if (stale) return;
        await this.#ledger.update(batch.shardId, async (current) =>
          finishAttempt(current, token, {
            failedFrom,
            last,
            lastArrivalMs: batch.last.arrivalMs,
            now: this.#now(),
          }),
        );
      },
    };
  }

  /**
   * Runs `work` until it succeeds or `ledgerRetryMs` has passed since the
   * invocation started: a batch is never failed for an unreachable ledger
   * sooner, which `mayHaveSkipped` relies on.
   */
  async #untilReachable<T>(invokedAtMs: number, work: () => Promise<T>): Promise<T> {
    let pause: number = LEDGER_RETRY_PAUSE_MS.first;
    for (;;) {
      try {
        return await work();
      } catch (error) {
        const left = invokedAtMs + this.#ledgerRetryMs - this.#now();
        if (left <= 0) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
        pause = Math.min(pause * 2, LEDGER_RETRY_PAUSE_MS.max);
      }
    }
  }

  /** Whether the stream holds records between `doneSequenceNumber` and the batch. */
  async #checkStream(batch: BatchToTrack, doneSequenceNumber: string): Promise<SkipCheck> {
    const streamName = batch.streamArn.split(':stream/')[1];
    if (!this.#nextRecordAfter || !streamName) return 'skipped';
    try {
      const next = await this.#nextRecordAfter(streamName, batch.shardId, doneSequenceNumber);
      return next === batch.first.sequenceNumber ? 'contiguous' : 'skipped';
    } catch {
      // Unknown is treated as skipped: a new lane costs a few attributes, a missed gap costs counts.
      return 'skipped';
    }
  }
}
