import { randomUUID } from 'node:crypto';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  finishAttempt,
  type LedgerGap,
  mayHaveSkipped,
  planAttempt,
  type SkipCheck,
  type WriteScope,
} from '../../core/aggregates/ShardLedger.js';
import { sequenceOrderKey } from '../../core/aggregates/sequenceOrder.js';
import type { DynamoShardLedger } from './DynamoShardLedger.js';
import { nextSequenceNumberAfter } from './nextSequenceNumberAfter.js';

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
}

/** An attempt in progress: where its writes go, and how to record its end. */
export interface TrackedAttempt {
  scope: WriteScope;
  /** Records this batch revealed as given up, if any. */
  gap?: LedgerGap;
  /** Every range given up on this shard so far: only the recovery applies their records. */
  gaps: readonly LedgerGap[];
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

/**
 * The live {@link AttemptTracker}: one consistent read and one conditional
 * write of the shard's ledger item when a batch starts, one write when it
 * ends. When records may have expired unseen before the batch (its
 * predecessor is older than `maxRecordAge`), it reads the stream right after
 * the last finished record to find out.
 */
export class DynamoAttemptTracker implements AttemptTracker {
  readonly #ledger: DynamoShardLedger;
  readonly #kinesis: KinesisClient | undefined;
  readonly #maxRecordAgeMs: number | undefined;
  readonly #now: () => number;

  /**
   * @param kinesis reads the stream when records may have expired unseen; without it such a batch always opens a new lane
   * @param maxRecordAgeMs the mapping's `maxRecordAge`; `undefined` when records never expire
   */
  public constructor(
    ledger: DynamoShardLedger,
    kinesis: KinesisClient | undefined,
    maxRecordAgeMs: number | undefined,
    now: () => number = Date.now,
  ) {
    this.#ledger = ledger;
    this.#kinesis = kinesis;
    this.#maxRecordAgeMs = maxRecordAgeMs;
    this.#now = now;
  }

  public async begin(batch: BatchToTrack): Promise<TrackedAttempt> {
    const token = randomUUID();
    const first = sequenceOrderKey(batch.first.sequenceNumber);
    const last = sequenceOrderKey(batch.last.sequenceNumber);
    let gap: LedgerGap | undefined;
    const state = await this.#ledger.update(batch.shardId, async (current) => {
      const start = { first, last, now: this.#now(), maxRecordAgeMs: this.#maxRecordAgeMs, token };
      const check: SkipCheck =
        mayHaveSkipped(current, start) && current.done !== undefined
          ? await this.#checkStream(batch, current.done.slice(3))
          : 'unchecked';
      const plan = planAttempt(current, start, check);
      gap = plan.gap;
      return plan.state;
    });
    const scope: WriteScope = {
      shardId: batch.shardId,
      lane: state.lane,
      olderLanes: state.lanes.filter((l) => l.lane < state.lane && l.through >= first),
      live: true,
    };
    return {
      scope,
      ...(gap ? { gap } : {}),
      gaps: state.gaps,
      finish: async (failedFrom) => {
        await this.#ledger.update(batch.shardId, async (current) =>
          finishAttempt(current, token, {
            failedFrom,
            last,
            lastArrivalMs: batch.last.arrivalMs,
          }),
        );
      },
    };
  }

  /** Whether the stream holds records between `doneSequenceNumber` and the batch. */
  async #checkStream(batch: BatchToTrack, doneSequenceNumber: string): Promise<SkipCheck> {
    const streamName = batch.streamArn.split(':stream/')[1];
    if (!this.#kinesis || !streamName) return 'skipped';
    try {
      const next = await nextSequenceNumberAfter(
        this.#kinesis,
        streamName,
        batch.shardId,
        doneSequenceNumber,
      );
      return next === batch.first.sequenceNumber ? 'contiguous' : 'skipped';
    } catch {
      // Unknown is treated as skipped: a new lane costs a few attributes, a missed gap costs counts.
      return 'skipped';
    }
  }
}
