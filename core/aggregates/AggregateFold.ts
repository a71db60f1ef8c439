import type { StreamfoldEvent } from '../events/envelope.js';
import { aggregatePartitionKey, aggregateSortKey, bucketStart } from './aggregateKey.js';
import type { CompiledMetric } from './compileMetrics.js';

/**
 * The change one batch makes to one aggregate item: a (metric, group, window
 * bucket). `firstOrder`/`lastOrder` are the sequence order keys of the
 * first and last record that contributed, which make the write idempotent.
 */
export interface AggregateDelta {
  pk: string;
  sk: string;
  metric: string;
  group: string;
  window: string;
  bucketStartMs: number;
  /** Unix seconds after which the item may expire; `undefined` keeps it. */
  expiresAt: number | undefined;
  count: number;
  /** Sum, min and max are present for metrics with a value. */
  sum: number;
  min: number;
  max: number;
  hasValue: boolean;
  firstOrder: string;
  lastOrder: string;
}

/** An accepted event with the position of the record that carried it. */
export interface FoldableEvent {
  event: StreamfoldEvent;
  /** Event time, ms since the epoch. */
  timeMs: number;
  /** Sequence order key of the carrying record (see `sequenceOrderKey`). */
  order: string;
}

/**
 * Folds a batch of events into one delta per (metric, group, window bucket) in
 * memory, so the store sees one write per distinct key rather than one per event.
 * Events must be added in sequence order.
 *
 * @example
 * const fold = new AggregateFold(compileMetrics(settings));
 * for (const e of accepted) fold.add(e);
 * for (const delta of fold.deltas()) await store.apply(delta);
 */
export class AggregateFold {
  readonly #metrics: readonly CompiledMetric[];
  readonly #deltas = new Map<string, AggregateDelta>();
  readonly #events: FoldableEvent[] = [];

  public constructor(metrics: readonly CompiledMetric[]) {
    this.#metrics = metrics;
  }

  /** Number of events folded so far. */
  public get eventCount(): number {
    return this.#events.length;
  }

  /** Folds one event into every metric and window that applies to it. */
  public add(item: FoldableEvent): void {
    this.#events.push(item);
    for (const metric of this.#metrics) foldInto(this.#deltas, metric, item);
  }

  /** The deltas, one per distinct aggregate item. */
  public deltas(): IterableIterator<AggregateDelta> {
    return this.#deltas.values();
  }

  /**
   * Recomputes one item's delta from only the events whose record comes after
   * `afterOrder`: what is left to apply when the store has already applied a
   * prefix of this batch (a retried or replayed batch).
   *
   * @returns the remaining delta, or `undefined` when nothing is left
   */
  public refold(delta: AggregateDelta, afterOrder: string): AggregateDelta | undefined {
    const metric = this.#metrics.find((m) => m.name === delta.metric);
    if (!metric) return undefined;
    const single = new Map<string, AggregateDelta>();
    for (const item of this.#events) {
      if (item.order > afterOrder) foldInto(single, metric, item, delta.pk, delta.sk);
    }
    return single.get(`${delta.pk}\u0000${delta.sk}`);
  }
}

function foldInto(
  deltas: Map<string, AggregateDelta>,
  metric: CompiledMetric,
  { event, timeMs, order }: FoldableEvent,
  onlyPk?: string,
  onlySk?: string,
): void {
  if (!metric.types.has(event.type)) return;
  let value = 0;
  const hasValue = metric.readValue !== undefined;
  if (metric.readValue) {
    const raw = metric.readValue(event);
    // Schemas guarantee the type; a non-finite value would poison sums, so it is not folded.
    if (typeof raw !== 'number' || !Number.isFinite(raw)) return;
    value = raw;
  }
  const group = metric.groupOf(event);
  const pk = aggregatePartitionKey(metric.name, group);
  if (onlyPk !== undefined && pk !== onlyPk) return;
  for (const window of metric.windows) {
    const start = bucketStart(timeMs, window.sizeMs);
    const sk = aggregateSortKey(window.name, start);
    if (onlySk !== undefined && sk !== onlySk) continue;
    const key = `${pk}\u0000${sk}`;
    const existing = deltas.get(key);
    if (existing) {
      existing.count += 1;
      existing.sum += value;
      if (value < existing.min) existing.min = value;
      if (value > existing.max) existing.max = value;
      existing.lastOrder = order;
      continue;
    }
    deltas.set(key, {
      pk,
      sk,
      metric: metric.name,
      group,
      window: window.name,
      bucketStartMs: start,
      expiresAt:
        window.retentionMs === undefined
          ? undefined
          : Math.ceil((start + window.sizeMs + window.retentionMs) / 1_000),
      count: 1,
      sum: value,
      min: value,
      max: value,
      hasValue,
      firstOrder: order,
      lastOrder: order,
    });
  }
}
