import type { KinesisStreamRecord } from 'aws-lambda';
import type {
  AggregateDelta,
  admissionFrom,
  FoldableEvent,
} from '../../core/aggregates/AggregateFold.js';
import { AggregateFold } from '../../core/aggregates/AggregateFold.js';
import type { WriteScope } from '../../core/aggregates/ShardLedger.js';
import { unpackEvents } from '../../core/codec/unpackEvents.js';
import type { AggregateDependencies } from './aggregateKinesisBatch.js';
import type { ApplyOutcome } from './DynamoAggregateStore.js';
import { rejectEntry } from './RejectsSink.js';

/** Events the store refused in this batch (each counted once, whatever items refused it). */
export interface RefusedRecords {
  events: Set<FoldableEvent>;
}

/** What {@link applyRecordByRecord} needs. */
export interface IsolationContext {
  deps: AggregateDependencies;
  scope: WriteScope;
  events: readonly FoldableEvent[];
  admission: ReturnType<typeof admissionFrom>;
  /**
   * The batch's records by order key: their lines are decoded again only to
   * quote refused events, rather than kept for the whole batch.
   */
  records: ReadonlyMap<string, KinesisStreamRecord>;
  refused: RefusedRecords;
}

/**
 * Whether DynamoDB refused an update as invalid (a `ValidationException`):
 * retrying it can never succeed, so it must not be reported as a failure.
 */
export function isRefusedByStore(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ValidationException';
}

/**
 * Applies an item's delta one record at a time after DynamoDB refused it as
 * a whole, so that a value it cannot store costs only its own event. In a
 * refused record, each event's own values are tried without writing
 * (`wouldAccept`); the events the store refuses go to the rejects sink (code
 * `refused_by_store`, with DynamoDB's message), the record's other events are
 * applied, and the item's watermarks move past the record, so a replay never
 * tries it again. Every other record is counted as usual. When no event is
 * to blame (the item itself is refused, say for its size), the error is
 * thrown and the record retried like any other failure.
 */
export async function applyRecordByRecord(
  delta: AggregateDelta,
  refusal: Error,
  context: IsolationContext,
): Promise<ApplyOutcome> {
  const { deps, scope } = context;
  const orders = [
    ...new Set(
      context.events
        .filter((e) => e.order >= delta.firstOrder && e.order <= delta.lastOrder)
        .map((e) => e.order),
    ),
  ].sort();
  /** A fold of `events` alone, and its delta for this item. */
  const foldOf = (events: readonly FoldableEvent[]) => {
    const fold = new AggregateFold(deps.metrics, context.admission);
    for (const e of events) fold.add(e);
    const itemDelta = [...fold.deltas()].find((d) => d.pk === delta.pk && d.sk === delta.sk);
    return { fold, itemDelta };
  };
  let applied = false;
  for (const order of orders) {
    const recordEvents = context.events.filter((e) => e.order === order);
    const { fold: single, itemDelta: part } = foldOf(recordEvents);
    if (!part) continue;
    const refold = (d: AggregateDelta, after: string) => single.refold(d, after);
    try {
      if ((await deps.store.apply(part, scope, refold)) === 'applied') applied = true;
    } catch (error) {
      if (!isRefusedByStore(error)) throw error;
      // DynamoDB checks values before conditions: a replay of a settled record is refused too.
      if (await deps.store.hasApplied?.(part, scope)) continue;
      if (!deps.store.wouldAccept) throw error;
      // Blame only the events whose own values the store refuses; the others still count.
      const refusedEvents: FoldableEvent[] = [];
      for (const e of recordEvents) {
        const alone = foldOf([e]).itemDelta;
        if (alone && !(await deps.store.wouldAccept(alone, scope))) refusedEvents.push(e);
      }
      const { fold: restFold, itemDelta: restDelta } = foldOf(
        recordEvents.filter((e) => !refusedEvents.includes(e)),
      );
      if (restDelta) {
        // Refused although each of its events alone is not: the item itself is refused (its
        // size, its stored figures). No event is to blame; the record is retried, and ends on
        // the on-failure destination if that does not change.
        if (
          (await deps.store.apply(restDelta, scope, (d, after) => restFold.refold(d, after))) ===
          'applied'
        )
          applied = true;
      }
      await rejectRefused(refusedEvents, order, delta, error, refusal, context);
      // Moves every watermark the record's delta would have moved (histogram chunks of the
      // refused values included), so a replay adds none of it.
      await deps.store.apply(emptyDeltaLike(part), scope, () => undefined);
    }
  }
  return applied ? 'applied' : 'already-applied';
}

/**
 * Writes the events the store refused to the rejects sink, before the
 * watermark moves past their record, so a crash in between leaves them to
 * the replay.
 */
async function rejectRefused(
  events: readonly FoldableEvent[],
  order: string,
  delta: AggregateDelta,
  error: Error,
  refusal: Error,
  context: IsolationContext,
): Promise<void> {
  const { deps, scope } = context;
  const record = context.records.get(order)?.kinesis;
  const lines = record && unpackEvents(Buffer.from(record.data, 'base64')).lines;
  const arrivalTime = new Date(
    record ? Math.round(record.approximateArrivalTimestamp * 1_000) : 0,
  ).toISOString();
  const entries = events.map((e) => {
    const lineIndex = e.lineIndex ?? 0;
    return rejectEntry(
      {
        reason: {
          code: 'refused_by_store',
          message:
            `DynamoDB refused the update of ${delta.pk} ${delta.sk} with this event: ` +
            `${error.message} (first refusal of the item: ${refusal.message})`,
        },
        shardId: scope.shardId,
        sequenceNumber: record?.sequenceNumber ?? order.slice(3),
        lineIndex,
        arrivalTime,
        item: `${delta.pk}|${delta.sk}`,
      },
      lines?.[lineIndex] ?? JSON.stringify(e.event),
    );
  });
  await deps.rejects.write(entries);
  for (const e of events) context.refused.events.add(e);
  deps.logger.warn('events refused by DynamoDB sent to the rejects sink', {
    pk: delta.pk,
    sk: delta.sk,
    sequenceNumber: record?.sequenceNumber,
    events: entries.length,
    error,
  });
}

/**
 * A delta that adds nothing but moves the same watermarks as `delta`: count
 * 0, no value, every histogram bucket of `delta` with 0.
 */
function emptyDeltaLike(delta: AggregateDelta): AggregateDelta {
  const empty: AggregateDelta = { ...delta, count: 0, hasValue: false };
  if (delta.histogram) empty.histogram = new Map([...delta.histogram.keys()].map((k) => [k, 0]));
  return empty;
}
