import type {
  AggregateDelta,
  FoldableEvent,
  GroupAdmission,
} from '../../core/aggregates/AggregateFold.js';
import { histogramBucketKey } from '../../core/aggregates/aggregateHistogram.js';
import { bucketStart } from '../../core/aggregates/aggregateKey.js';
import type { CompiledMetric } from '../../core/aggregates/compileMetrics.js';
import { DecimalSum } from '../../core/decimal/DecimalSum.js';
import { decimalScaleOf } from '../../core/decimal/decimalScaleOf.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';

/**
 * The fold written the plain way: per event, metric and window, read the
 * fields from the metric's declared paths, build the item key and look it up.
 * It shares no reader, key builder or cache with `AggregateFold`. `AggregateFold` must write exactly what this writes
 * (see foldEquivalence.test.ts); it is kept simple so it is obviously right.
 */
export class ReferenceFold {
  readonly #metrics: readonly CompiledMetric[];
  readonly #deltas = new Map<string, FoldingDelta>();
  readonly #events: FoldableEvent[] = [];
  readonly #admission: GroupAdmission;
  #unresolvedFirstOrder: string | undefined;

  /**
   * @param admission where each group of a capped metric goes; by default every group is kept
   */
  readonly #omit: (metric: CompiledMetric, event: StreamfoldEvent) => boolean;

  /**
   * @param omit events a metric leaves out although they fit it: what a test
   *   expects when the store refused their values in that metric
   */
  public constructor(
    metrics: readonly CompiledMetric[],
    admission: GroupAdmission = (_metric, group) => group,
    omit: (metric: CompiledMetric, event: StreamfoldEvent) => boolean = () => false,
  ) {
    this.#metrics = metrics;
    this.#admission = admission;
    this.#omit = omit;
  }

  /** Number of events folded so far. */
  public get eventCount(): number {
    return this.#events.length;
  }

  /**
   * Order key of the first record with an event left out of a metric because
   * its group's admission is unknown (the registry could not be reached);
   * that record must be retried.
   */
  public get unresolvedFirstOrder(): string | undefined {
    return this.#unresolvedFirstOrder;
  }

  /** Folds one event into every metric and window that applies to it. */
  public add(item: FoldableEvent): void {
    this.#events.push(item);
    for (const metric of this.#metrics) {
      if (this.#omit(metric, item.event)) continue;
      const group = groupOf(metric, item.event, this.#admission);
      if (group === undefined) {
        if (foldsInto(metric, item.event)) this.#unresolvedFirstOrder ??= item.order;
        continue;
      }
      foldInto(this.#deltas, metric, item, group);
    }
  }

  /** The deltas, one per distinct aggregate item, with their sums written out. */
  public *deltas(): IterableIterator<AggregateDelta> {
    for (const folding of this.#deltas.values()) yield finished(folding);
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
    const single = new Map<string, FoldingDelta>();
    for (const item of this.#events) {
      if (item.order <= afterOrder || this.#omit(metric, item.event)) continue;
      const group = groupOf(metric, item.event, this.#admission);
      if (group !== undefined) foldInto(single, metric, item, group, delta.pk, delta.sk);
    }
    const remaining = single.get(`${delta.pk}\u0000${delta.sk}`);
    return remaining && finished(remaining);
  }
}

/** A delta being folded, with its exact running sum. */
interface FoldingDelta {
  delta: AggregateDelta;
  sum: DecimalSum;
}

/** The delta with its sum written out from the running sum. */
function finished({ delta, sum }: FoldingDelta): AggregateDelta {
  delta.sum = sum.toString();
  return delta;
}

/** Whether `event` counts in `metric`: the right type and, for value metrics, a finite value. */
function foldsInto(metric: CompiledMetric, event: StreamfoldEvent): boolean {
  if (!metric.types.has(event.type)) return false;
  if (metric.valuePath === undefined) return true;
  const raw = readPath(event, metric.valuePath);
  // Schemas guarantee the type; a non-finite value would poison sums, so it is not folded.
  return typeof raw === 'number' && Number.isFinite(raw);
}

function groupOf(
  metric: CompiledMetric,
  event: StreamfoldEvent,
  admission: GroupAdmission,
): string | undefined {
  return admission(metric, groupKeyOf(metric, event));
}

function foldInto(
  deltas: Map<string, FoldingDelta>,
  metric: CompiledMetric,
  { event, timeMs, order }: FoldableEvent,
  group: string,
  onlyPk?: string,
  onlySk?: string,
): void {
  if (!foldsInto(metric, event)) return;
  const hasValue = metric.valuePath !== undefined;
  const value = hasValue ? (readPath(event, metric.valuePath as string) as number) : 0;
  const pk = `${metric.name}#${group}`;
  if (onlyPk !== undefined && pk !== onlyPk) return;
  // The same key and decimal scale for every window: computed once per event and metric.
  const bucketKey = metric.keepsHistogram ? histogramBucketKey(value) : undefined;
  const scale = decimalScaleOf(value);
  for (const window of metric.windows) {
    const start = bucketStart(timeMs, window.sizeMs);
    const sk = `${window.name}#${new Date(start).toISOString()}`;
    if (onlySk !== undefined && sk !== onlySk) continue;
    const key = `${pk}\u0000${sk}`;
    const folding = deltas.get(key);
    if (folding) {
      const existing = folding.delta;
      existing.count += 1;
      folding.sum.add(value, scale);
      if (value < existing.min) existing.min = value;
      if (value > existing.max) existing.max = value;
      if (bucketKey !== undefined && existing.histogram) {
        existing.histogram.set(bucketKey, (existing.histogram.get(bucketKey) ?? 0) + 1);
      }
      existing.lastOrder = order;
      continue;
    }
    const delta: AggregateDelta = {
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
      sum: '',
      min: value,
      max: value,
      hasValue,
      firstOrder: order,
      lastOrder: order,
    };
    if (bucketKey !== undefined) delta.histogram = new Map([[bucketKey, 1]]);
    deltas.set(key, { delta, sum: new DecimalSum().add(value, scale) });
  }
}

/** The value at a dotted path, through own properties only. */
function readPath(event: StreamfoldEvent, path: string): unknown {
  let current: unknown = event;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) {
      return undefined;
    }
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * The group key as the README defines it: `label=value` per field, the label
 * the last part of its path, the value as text (JSON when it has no text),
 * percent-encoded with unpaired surrogates as U+FFFD; `*` without fields.
 */
function groupKeyOf(metric: CompiledMetric, event: StreamfoldEvent): string {
  if (metric.groupBy.length === 0) return '*';
  return metric.groupBy
    .map((path) => {
      const raw = readPath(event, path);
      let text: string;
      try {
        text = String(raw ?? '');
      } catch {
        text = JSON.stringify(raw) ?? '';
      }
      const wellFormed = [...text]
        .map((c) => (c.length === 1 && c >= '\uD800' && c <= '\uDFFF' ? '\uFFFD' : c))
        .join('');
      return `${path.split('.').at(-1)}=${encodeURIComponent(wellFormed)}`;
    })
    .join(',');
}

/**
 * The distinct groups of `metric` among `events`, in order of first
 * appearance: what the handler admits for a capped metric before routing.
 */
export function groupsToAdmit(metric: CompiledMetric, events: readonly FoldableEvent[]): string[] {
  const groups = new Set<string>();
  for (const { event } of events)
    if (foldsInto(metric, event)) groups.add(groupKeyOf(metric, event));
  return [...groups];
}
