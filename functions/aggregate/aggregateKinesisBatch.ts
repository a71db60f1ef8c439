import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type {
  KinesisStreamBatchItemFailure,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda';
import {
  type AggregateDelta,
  AggregateFold,
  admissionFrom,
  type FoldableEvent,
} from '../../core/aggregates/AggregateFold.js';
import type { CompiledMetric } from '../../core/aggregates/compileMetrics.js';
import type { DedupeClaim, EventDeduper } from '../../core/aggregates/EventDeduper.js';
import { type GroupRegistry, OTHER_GROUP } from '../../core/aggregates/GroupRegistry.js';
import { laneZeroScope, type WriteScope } from '../../core/aggregates/ShardLedger.js';
import { sequenceOrderKey } from '../../core/aggregates/sequenceOrder.js';
import { unpackEvents } from '../../core/codec/unpackEvents.js';
import type { EventCatalog } from '../../core/events/catalog.js';
import { checkStorableValues } from '../../core/events/checkStorableValues.js';
import type { RejectCode, RejectReason } from '../../core/events/RejectReason.js';
import { type EventValidation, validateEventLine } from '../../core/events/validateEvent.js';
import { mapConcurrent } from '../../core/util/mapConcurrent.js';
import {
  applyRecordByRecord,
  isRefusedByStore,
  type RefusedRecords,
} from './applyRecordByRecord.js';
import type { ApplyOutcome } from './DynamoAggregateStore.js';
import type { AttemptTracker, BatchToTrack, TrackedAttempt } from './DynamoAttemptTracker.js';
import { RejectCollector } from './RejectCollector.js';
import type { RejectsSink } from './RejectsSink.js';

/**
 * Size of a shard ledger past which every batch logs a warning: half of
 * DynamoDB's 400 KB item limit, about 650 give-ups on one shard.
 */
const LEDGER_WARNING_BYTES = 200_000;

/** Aggregate item updates in flight at once during a flush. */
const FLUSH_CONCURRENCY = 16;

/** Where deltas are written; `DynamoAggregateStore` in production, a fake in benchmarks. */
export interface AggregateStore {
  apply(
    delta: AggregateDelta,
    scope: WriteScope,
    refold: (delta: AggregateDelta, afterOrder: string) => AggregateDelta | undefined,
  ): Promise<ApplyOutcome>;
  /**
   * Whether the store would take `delta`'s values, writing nothing; used to
   * find the events to blame when an update is refused. Without it, every
   * event of a refused record is blamed.
   */
  wouldAccept?(delta: AggregateDelta, scope: WriteScope): Promise<boolean>;
  /** Whether the item has absorbed every record of `delta` already. */
  hasApplied?(delta: AggregateDelta, scope: WriteScope): Promise<boolean>;
}

/** Everything {@link aggregateKinesisBatch} needs, passed in so tests and the local runtime share it. */
export interface AggregateDependencies {
  store: AggregateStore;
  rejects: RejectsSink;
  metrics: readonly CompiledMetric[];
  /** Decides which groups of each metric are kept under its `maxGroups`. */
  groups: GroupRegistry;
  catalog: EventCatalog;
  /**
   * Oldest and newest accepted event time, ms, relative to the record's
   * arrival in the stream (or to `now()` when given).
   */
  maxLatenessMs: number;
  maxFutureSkewMs: number;
  logger: Logger;
  /** Counts each event `id` once across copies (`events.dedupeWindow`); off when omitted. */
  deduper?: EventDeduper;
  /**
   * Chooses the watermark lane of each batch and records its outcome, so
   * records given up by the event source mapping can be recovered exactly
   * once (see `ShardLedger`). Without it every batch writes lane 0.
   */
  attempts?: AttemptTracker;
  /**
   * The time event times are judged against. By default each record's
   * arrival in the stream: the same on every retry, replay and recovery, so an
   * event is accepted everywhere or nowhere. Tests pin it.
   */
  now?: () => number;
}

/** What one invocation did, for metrics and the local status line. */
export interface BatchSummary {
  records: number;
  eventsFolded: number;
  eventsRejected: number;
  /**
   * `eventsRejected` by reject code. The rejects sink quotes a bounded part of them (see
   * `RejectCollector`); these counts hold every one.
   */
  eventsRejectedByCode: Partial<Record<RejectCode, number>>;
  /** Events left out as copies of an `id` already counted (only with a deduper). */
  eventsDuplicate: number;
  itemsApplied: number;
  itemsAlreadyApplied: number;
  itemsFailed: number;
  failedRecords: number;
  /** Events DynamoDB refused to store although they passed validation (sent to the rejects sink). */
  eventsRefusedByStore: number;
  /**
   * Events folded into {@link OTHER_GROUP} because their metric's group
   * registry is full, summed over metrics (an event counted by two capped
   * metrics counts twice). Like `eventsFolded`, a retried batch counts again.
   */
  eventsOverGroupCap: number;
  /** The metrics whose full registry refused a group of this batch, in configuration order. */
  cappedMetrics: CappedMetric[];
}

/** A metric whose group registry is full, and what that cost in one batch. */
export interface CappedMetric {
  metric: string;
  /** The cap that is full (the metric's `maxGroups`). */
  maxGroups: number;
  /** Events of this metric folded into {@link OTHER_GROUP} because of it. */
  eventsOverGroupCap: number;
}

/** Thrown for records after the first failure of a batch: they must be replayed, not applied. */
export class SkippedAfterFailureError extends Error {
  public constructor(public readonly sequenceNumber: string) {
    super(`record ${sequenceNumber} skipped: an earlier record of the batch failed`);
    this.name = 'SkippedAfterFailureError';
  }
}

/**
 * Folds a Kinesis batch into aggregates and reports partial failures.
 *
 * 1. Each record is unpacked (NDJSON, or KPL aggregated records de-aggregated)
 *    and each event validated (Powertools `BatchProcessor`, sequentially). Bad
 *    events go to the rejects sink and count as processed, so they are never
 *    retried and never block the shard.
 * 2. Accepted events are folded in memory; then one conditional update per
 *    distinct aggregate item is written (see `DynamoAggregateStore`).
 * 3. If a record fails unexpectedly, the records after it are not applied, so
 *    a replay from the lowest failed sequence number never skips work. If an
 *    item update fails (throttling, timeouts), the record that first
 *    contributed to it is reported; per-shard watermarks make the replay skip
 *    whatever was already applied.
 */
export async function aggregateKinesisBatch(
  event: KinesisStreamEvent,
  deps: AggregateDependencies,
): Promise<{ response: KinesisStreamBatchResponse; summary: BatchSummary }> {
  const now = (deps.now ?? Date.now)();
  const pinnedNow = deps.now === undefined ? undefined : now;
  const windowAt = (arrivalMs: number) => ({
    now: pinnedNow ?? (arrivalMs > 0 ? arrivalMs : now),
    maxLatenessMs: deps.maxLatenessMs,
    maxFutureSkewMs: deps.maxFutureSkewMs,
  });
  const rejected = new RejectCollector();
  const sequenceByOrder = new Map<string, string>();
  const shardId = shardIdOf(event.Records[0]);
  deps.logger.appendKeys({ shardId });

  // The lane and the gaps come first: events of given-up records are left out as they are read.
  const { attempt, attemptFailed } = await beginAttempt(event, shardId, now, deps);
  const leftToRecovery = gapFilter(event, attempt);
  let eventsInGaps = 0;

  /**
   * The accepted events of one record, with the rejects of its bad lines when
   * `rejects` is given. A pure function of the record, so the events of a
   * batch can be read again (see `recall`) rather than kept.
   */
  const readRecord = (
    record: KinesisStreamRecord,
    order: string,
    rejects?: RejectCollector,
  ): FoldableEvent[] => {
    const { sequenceNumber } = record.kinesis;
    const arrivalMs = Math.round(record.kinesis.approximateArrivalTimestamp * 1_000);
    const window = windowAt(arrivalMs);
    const accepted: FoldableEvent[] = [];
    const { lines, corruptAggregate } = unpackEvents(Buffer.from(record.kinesis.data, 'base64'));
    const corrupt =
      corruptAggregate === undefined ? undefined : corruptAggregateRejection(corruptAggregate);
    let arrivalTime: string | undefined;
    for (let lineIndex = 0; lineIndex < lines.length; lineIndex++) {
      const line = lines[lineIndex] as string;
      const validated = corrupt ?? validateEventLine(line, deps.catalog, window);
      // A value DynamoDB could not store (or sum exactly) is bad input, refused before the fold.
      const unstorable = validated.ok
        ? checkStorableValues(validated.event, deps.metrics)
        : undefined;
      if (validated.ok && unstorable === undefined) {
        accepted.push({ event: validated.event, timeMs: validated.timeMs, order, lineIndex });
      } else if (rejects) {
        const reason = unstorable ?? (validated as { reason: RejectReason }).reason;
        arrivalTime ??= new Date(arrivalMs).toISOString();
        rejects.add({ reason, shardId, sequenceNumber, lineIndex, arrivalTime }, line);
      }
    }
    return accepted;
  };

  // Folded as they are read, every group kept; groups of capped metrics are routed once they
  // are admitted. No event outlives its record: refolds read them again (`recall`).
  let fold = new AggregateFold(deps.metrics, undefined, () => recall());
  const claims: DedupeClaim[] = [];
  /**
   * Records read without failure, by order key, in order: reading them again gives the same
   * events (`recall`), and rejects of events the store refuses quote their lines.
   */
  const readRecords = new Map<string, KinesisStreamRecord>();
  let failedAt: string | undefined;
  let foldIncomplete = false;

  const foldRecord = async (record: KinesisStreamRecord): Promise<void> => {
    const { sequenceNumber } = record.kinesis;
    if (failedAt !== undefined) throw new SkippedAfterFailureError(sequenceNumber);
    try {
      const order = sequenceOrderKey(sequenceNumber);
      sequenceByOrder.set(order, sequenceNumber);
      const recordRejects = rejected.forRecord();
      const accepted = readRecord(record, order, recordRejects);
      const inGap = leftToRecovery(order);
      if (!inGap) {
        try {
          for (const item of accepted) fold.add(item);
        } catch (error) {
          // The fold holds part of this record: it is folded again from the records before it.
          foldIncomplete = true;
          throw error;
        }
      }
      // Kept only once the whole record is read and folded, so a failing record leaves no trace.
      rejected.absorb(recordRejects);
      readRecords.set(order, record);
      if (inGap) eventsInGaps += accepted.length;
      // Claims are only made with a deduper; without one they would be built for nothing. Events
      // of a gap are claimed too: the copy counted is the first one in the stream, and the
      // recovery, which counts that one later, claims it from the same position.
      if (deps.deduper) {
        for (const item of accepted) {
          claims.push({ id: item.event.id, position: `${shardId}|${order}|${item.lineIndex}` });
        }
      }
    } catch (error) {
      failedAt = sequenceNumber;
      throw error;
    }
  };

  /** Which claims the deduper found to be copies (or could not decide), by index. */
  let dropped: ((claim: number) => boolean) | undefined;
  let recalled: FoldableEvent[] | undefined;
  /** The events folded, in order, read again from their records on first need. */
  const recall = (): readonly FoldableEvent[] => {
    if (recalled === undefined) {
      const all: FoldableEvent[] = [];
      // Claims were made for the accepted events of every record read, gaps included.
      let claim = 0;
      for (const [order, record] of readRecords) {
        const inGap = leftToRecovery(order);
        for (const item of readRecord(record, order)) {
          if (!inGap && !dropped?.(claim)) all.push(item);
          claim++;
        }
      }
      recalled = all;
    }
    return recalled;
  };
  /** The fold made again from the recalled events. */
  const foldAgain = () => {
    const again = new AggregateFold(deps.metrics, undefined, () => recall());
    for (const item of recall()) again.add(item);
    return again;
  };

  const processor = new BatchProcessor(EventType.KinesisDataStreams);
  processor.register(event.Records, foldRecord, {
    processInParallel: false,
    throwOnFullBatchFailure: false,
  });
  await processor.process();
  for (const [index, error] of processor.errors.entries()) {
    if (!(error instanceof SkippedAfterFailureError)) {
      deps.logger.error('record failed', { sequenceNumber: failedAt, index, error });
    }
  }
  if (foldIncomplete) fold = foldAgain();
  if (eventsInGaps > 0) {
    deps.logger.warn('events of given-up records left to the recovery', { events: eventsInGaps });
  }

  let eventsDuplicate = 0;
  let dedupeFailedOrder: string | undefined;
  if (deps.deduper && claims.length > 0) {
    const outcomes = await deps.deduper.claim(claims);
    // A claim that could not be made (throttling) leaves its event, and every later one, for the replay.
    const orderOf = (index: number) => (claims[index]?.position ?? '').split('|')[1] ?? '';
    outcomes.forEach((outcome, index) => {
      if (typeof outcome === 'object') {
        const order = orderOf(index);
        if (dedupeFailedOrder === undefined || order < dedupeFailedOrder) {
          dedupeFailedOrder = order;
        }
        deps.logger.warn('dedupe claim failed; its record will be retried', {
          error: outcome.error,
        });
      }
    });
    const failedOrder = dedupeFailedOrder;
    const isDropped = (index: number) =>
      outcomes[index] === 'duplicate' ||
      (failedOrder !== undefined && orderOf(index) >= failedOrder);
    eventsDuplicate = outcomes.filter(
      (outcome, index) =>
        outcome === 'duplicate' && (failedOrder === undefined || orderOf(index) < failedOrder),
    ).length;
    if (outcomes.some((_, index) => isDropped(index))) {
      // Copies are rare: the batch is folded again without them, from its records.
      dropped = isDropped;
      recalled = undefined;
      fold = foldAgain();
    }
  }

  const admission = await admitGroups(fold, deps);
  fold = fold.regrouped(admission);
  const refold = (delta: AggregateDelta, afterOrder: string) => fold.refold(delta, afterOrder);
  const deltas = [...fold.deltas()];
  const cappedMetrics = cappedMetricsOf(deltas, deps.metrics);
  const scope = attempt?.scope ?? laneZeroScope(shardId);
  const refused: RefusedRecords = { events: new Set() };
  const [outcomes, rejectsWritten] = await Promise.all([
    attemptFailed
      ? []
      : mapConcurrent(deltas, FLUSH_CONCURRENCY, async (delta) => {
          try {
            return await deps.store.apply(delta, scope, refold);
          } catch (error) {
            if (isRefusedByStore(error)) {
              return applyRecordByRecord(delta, error, {
                deps,
                scope,
                events: recall(),
                admission,
                records: readRecords,
                refused,
              }).catch((failure: unknown) => {
                deps.logger.warn('aggregate update refused and not isolated; will be retried', {
                  pk: delta.pk,
                  sk: delta.sk,
                  error: failure,
                });
                return { failed: delta } as const;
              });
            }
            deps.logger.warn('aggregate update failed; its records will be retried', {
              pk: delta.pk,
              sk: delta.sk,
              error,
            });
            return { failed: delta } as const;
          }
        }),
    deps.rejects.write(rejected.entries).then(
      () => true,
      (error: unknown) => {
        deps.logger.warn('rejects write failed; the batch will be retried from its first reject', {
          error,
        });
        return false;
      },
    ),
  ]);

  // Lambda resumes from the lowest reported sequence number, so reporting the lowest is enough.
  const failureOrders: string[] = processor.failureMessages.map((r) =>
    sequenceOrderKey((r as KinesisStreamRecord).kinesis.sequenceNumber),
  );
  let itemsApplied = 0;
  let itemsAlreadyApplied = 0;
  let itemsFailed = 0;
  for (const outcome of outcomes) {
    if (outcome === 'applied') itemsApplied++;
    else if (outcome === 'already-applied') itemsAlreadyApplied++;
    else {
      itemsFailed++;
      failureOrders.push(outcome.failed.firstOrder);
    }
  }
  // Events whose group admission is unknown were left out; retry from the first of them.
  if (fold.unresolvedFirstOrder !== undefined) failureOrders.push(fold.unresolvedFirstOrder);
  if (dedupeFailedOrder !== undefined) failureOrders.push(dedupeFailedOrder);
  const firstReject = rejected.entries[0];
  if (!rejectsWritten && firstReject)
    failureOrders.push(sequenceOrderKey(firstReject.sequenceNumber));

  const firstRecord = event.Records[0];
  if (attemptFailed && firstRecord) {
    failureOrders.push(sequenceOrderKey(firstRecord.kinesis.sequenceNumber));
  }
  const lowest = failureOrders.sort()[0];
  if (attempt) {
    await attempt.finish(lowest).catch((error: unknown) => {
      // Harmless: an unfinished attempt only makes the next batch open a new lane.
      deps.logger.warn('shard ledger not updated after the batch', { error });
    });
  }
  const batchItemFailures: KinesisStreamBatchItemFailure[] =
    lowest === undefined ? [] : [{ itemIdentifier: sequenceByOrder.get(lowest) ?? lowest }];
  const summary: BatchSummary = {
    records: event.Records.length,
    eventsFolded: fold.eventCount,
    eventsRejected: rejected.count,
    eventsRejectedByCode: rejected.countsByCode,
    eventsDuplicate,
    itemsApplied,
    itemsAlreadyApplied,
    itemsFailed,
    eventsRefusedByStore: refused.events.size,
    eventsOverGroupCap: cappedMetrics.reduce((sum, capped) => sum + capped.eventsOverGroupCap, 0),
    cappedMetrics,
    failedRecords:
      batchItemFailures.length === 0
        ? 0
        : countFrom(event.Records, batchItemFailures[0]?.itemIdentifier),
  };
  deps.logger.info('batch aggregated', {
    firstSequenceNumber: event.Records[0]?.kinesis.sequenceNumber,
    lastSequenceNumber: event.Records.at(-1)?.kinesis.sequenceNumber,
    ...summary,
  });
  return { response: { batchItemFailures }, summary };
}

/**
 * Admits the groups of every capped metric, in order of first appearance, one
 * registry call sequence per metric. A metric whose admission fails is left
 * unresolved: its events are not folded and their records are retried.
 */
async function admitGroups(
  fold: AggregateFold,
  deps: AggregateDependencies,
): Promise<ReturnType<typeof admissionFrom>> {
  const admitted = new Map<string, ReadonlySet<string>>();
  await Promise.all(
    deps.metrics.map(async (metric) => {
      if (metric.maxGroups === undefined) return;
      const groups = fold.groupsOf(metric);
      try {
        admitted.set(metric.name, await deps.groups.admit(metric.name, metric.maxGroups, groups));
      } catch (error) {
        deps.logger.warn('group admission failed; the metric will be retried', {
          metric: metric.name,
          error,
        });
      }
    }),
  );
  return admissionFrom(admitted);
}

/**
 * The capped metrics with events in {@link OTHER_GROUP}, read off the
 * regrouped deltas: no event's own group can be that group (group keys read
 * `label=value`), so every event in it was refused by a full registry. Each
 * event lands in every window of its metric, so one window counts it once.
 */
function cappedMetricsOf(
  deltas: readonly AggregateDelta[],
  metrics: readonly CompiledMetric[],
): CappedMetric[] {
  const over = new Map<string, number>();
  const countedWindow = new Map(
    metrics
      .filter((metric) => metric.maxGroups !== undefined)
      .map((metric) => [metric.name, metric.windows[0]?.name]),
  );
  for (const delta of deltas) {
    if (delta.group !== OTHER_GROUP || countedWindow.get(delta.metric) !== delta.window) continue;
    over.set(delta.metric, (over.get(delta.metric) ?? 0) + delta.count);
  }
  const capped: CappedMetric[] = [];
  for (const metric of metrics) {
    const events = over.get(metric.name);
    if (events === undefined || metric.maxGroups === undefined) continue;
    capped.push({ metric: metric.name, maxGroups: metric.maxGroups, eventsOverGroupCap: events });
  }
  return capped;
}

/**
 * Begins the batch's attempt in the shard ledger (see `ShardLedger`): its
 * watermark lane and the gaps of records given up before it. When the ledger
 * cannot be reached, `attemptFailed` is set: nothing is written without a
 * lane, and the whole batch is retried.
 */
async function beginAttempt(
  event: KinesisStreamEvent,
  shardId: string,
  now: number,
  deps: AggregateDependencies,
): Promise<{ attempt: TrackedAttempt | undefined; attemptFailed: boolean }> {
  if (!deps.attempts || event.Records.length === 0)
    return { attempt: undefined, attemptFailed: false };
  try {
    const attempt = await deps.attempts.begin({
      ...batchToTrack(event.Records, shardId),
      invokedAtMs: now,
    });
    if ((attempt.ledgerBytes ?? 0) > LEDGER_WARNING_BYTES) {
      deps.logger.warn("shard ledger is growing toward DynamoDB's 400 KB item limit", {
        ledgerBytes: attempt.ledgerBytes,
        gaps: attempt.gaps.length,
      });
    }
    if (attempt.gap) {
      deps.logger.warn('records were given up before this batch; later batches use a new lane', {
        gap: attempt.gap,
        lane: attempt.scope.lane,
      });
    }
    return { attempt, attemptFailed: false };
  } catch (error) {
    deps.logger.warn('shard ledger unavailable; the batch will be retried', { error });
    return { attempt: undefined, attemptFailed: true };
  }
}

/**
 * Whether a record (by order key) lies in a gap: records given up before
 * belong to the recovery (`npm run redrive`), which applies them in the gap's
 * lane, so a replay from before the gap must not count them a second time
 * here. Gaps lie behind the live position, so only such a replay has any.
 */
function gapFilter(
  event: KinesisStreamEvent,
  attempt: TrackedAttempt | undefined,
): (order: string) => boolean {
  const first = event.Records[0];
  if (!attempt || !first) return () => false;
  const firstOrder = sequenceOrderKey(first.kinesis.sequenceNumber);
  const gaps = attempt.gaps.filter((gap) => firstOrder < gap.before);
  if (gaps.length === 0) return () => false;
  return (order) => gaps.some((gap) => gap.from <= order && order < gap.before);
}

/**
 * Refuses every line of a record that carries the KPL magic but is not a valid
 * aggregate. Read as plain data (as KCL does), the NDJSON inside its user
 * records would still parse, so folding whatever parses would count a random
 * part of a damaged record.
 */
function corruptAggregateRejection(problem: string): EventValidation {
  const reason: RejectReason = {
    code: 'malformed_aggregate',
    message:
      `record starts with the KPL aggregated-record magic F3 89 9A C2 but is not a valid ` +
      `aggregated record: ${problem}; none of its lines is accepted`,
  };
  return { ok: false, reason };
}

function shardIdOf(record: KinesisStreamRecord | undefined): string {
  // eventID is `shardId-000000000000:49590338271490256608559692538361571095921575989136588898`.
  const eventId = record?.eventID ?? '';
  const colon = eventId.indexOf(':');
  return colon > 0 ? eventId.slice(0, colon) : 'unknown-shard';
}

function countFrom(
  records: readonly KinesisStreamRecord[],
  sequenceNumber: string | undefined,
): number {
  const index = records.findIndex((r) => r.kinesis.sequenceNumber === sequenceNumber);
  return index === -1 ? 0 : records.length - index;
}

/** The first and last record of a batch, for the shard ledger. */
function batchToTrack(records: readonly KinesisStreamRecord[], shardId: string): BatchToTrack {
  const first = records[0] as KinesisStreamRecord;
  const last = records.at(-1) as KinesisStreamRecord;
  const edge = (r: KinesisStreamRecord) => ({
    sequenceNumber: r.kinesis.sequenceNumber,
    arrivalMs: Math.round(r.kinesis.approximateArrivalTimestamp * 1_000),
  });
  return { shardId, streamArn: first.eventSourceARN, first: edge(first), last: edge(last) };
}
