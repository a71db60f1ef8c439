import { DecimalSum } from '../decimal/DecimalSum.js';
import { decimalScaleOf } from '../decimal/decimalScaleOf.js';
import type { StreamfoldEvent } from '../events/envelope.js';
import { type HistogramCounts, histogramBucketKey } from './aggregateHistogram.js';
import { aggregatePartitionKey, aggregateSortKey, bucketStart } from './aggregateKey.js';
import type { CompiledMetric, CompiledWindow } from './compileMetrics.js';
import { OTHER_GROUP } from './GroupRegistry.js';

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
  /**
   * The exact decimal sum of the values as written (see `DecimalSum`), in
   * canonical form (`'39411.6'`), ready to store as a DynamoDB number; `'0'`
   * for count-only metrics.
   */
  sum: string;
  /** Min and max, like sum, are meaningful for metrics with a value. */
  min: number;
  max: number;
  hasValue: boolean;
  /**
   * Values counted per histogram bucket (see `histogramBucketKey`), for
   * metrics with a percentile stat; absent otherwise.
   */
  histogram?: HistogramCounts;
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
  /** Position of the event's line inside its record, from 0 (for rejects naming it). */
  lineIndex?: number;
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
  /** The metrics each event type counts in, with their open buckets. */
  readonly #plans: ReadonlyMap<string, readonly MetricPlan[]>;
  readonly #deltas = new Map<string, FoldingDelta>();
  readonly #events: FoldableEvent[] = [];
  readonly #admission: GroupAdmission;
  #unresolvedFirstOrder: string | undefined;

  /**
   * @param admission where each group of a capped metric goes; by default every group is kept
   */
  public constructor(
    metrics: readonly CompiledMetric[],
    admission: GroupAdmission = KEEP_EVERY_GROUP,
  ) {
    this.#metrics = metrics;
    this.#admission = admission;
    this.#plans = plansByType(metrics);
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
    const plans = this.#plans.get(item.event.type);
    if (plans === undefined) return;
    for (const plan of plans) {
      const { metric } = plan;
      let value = 0;
      if (metric.readValue !== undefined) {
        const raw = metric.readValue(item.event);
        // Schemas guarantee the type; a non-finite value would poison sums, so it is not folded.
        if (typeof raw !== 'number' || !Number.isFinite(raw)) continue;
        value = raw;
      }
      const slot = this.#slotOf(plan, metric.groupOf(item.event));
      if (slot === undefined) {
        this.#unresolvedFirstOrder ??= item.order;
        continue;
      }
      // The same key and decimal scale for every window: computed once per event and metric.
      const bucketKey = metric.keepsHistogram ? histogramBucketKey(value) : undefined;
      const scale = decimalScaleOf(value);
      const { windows } = metric;
      for (let w = 0; w < windows.length; w++) {
        const window = windows[w] as CompiledWindow;
        const start = bucketStart(item.timeMs, window.sizeMs);
        let folding = slot.open[w];
        if (folding === undefined || folding.delta.bucketStartMs !== start) {
          folding = this.#deltaOf(metric, slot, window, start, value, item.order);
          slot.open[w] = folding;
        }
        addTo(folding, value, scale, bucketKey, item.order);
      }
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
    const window = metric.windows.find((w) => w.name === delta.window);
    if (!window) return undefined;
    let remaining: FoldingDelta | undefined;
    for (const item of this.#events) {
      if (item.order <= afterOrder || !foldsInto(metric, item.event)) continue;
      if (bucketStart(item.timeMs, window.sizeMs) !== delta.bucketStartMs) continue;
      const group = groupOf(metric, item.event, this.#admission);
      if (group !== delta.group) continue;
      const value = metric.readValue === undefined ? 0 : (metric.readValue(item.event) as number);
      remaining ??= newFolding(
        metric,
        group,
        delta.pk,
        delta.sk,
        window,
        delta.bucketStartMs,
        value,
        item.order,
      );
      addTo(
        remaining,
        value,
        decimalScaleOf(value),
        metric.keepsHistogram ? histogramBucketKey(value) : undefined,
        item.order,
      );
    }
    return remaining && finished(remaining);
  }

  /**
   * The slot of `group` in `plan`'s metric, made on first sight: its admitted
   * group and open buckets; `undefined` while the group's admission is unknown.
   */
  #slotOf(plan: MetricPlan, group: string): GroupSlot | undefined {
    let slot = plan.slots.get(group);
    if (slot === undefined) {
      const admitted = this.#admission(plan.metric, group);
      if (admitted === undefined) return undefined;
      // Groups past a cap share the slot of the group they are counted in.
      slot =
        admitted === group
          ? newSlot(plan.metric, admitted)
          : (plan.slots.get(admitted) ?? newSlot(plan.metric, admitted));
      plan.slots.set(group, slot);
      plan.slots.set(admitted, slot);
    }
    return slot;
  }

  /** The delta of one (metric, group, bucket) item, created on its first event. */
  #deltaOf(
    metric: CompiledMetric,
    slot: GroupSlot,
    window: CompiledWindow,
    start: number,
    value: number,
    order: string,
  ): FoldingDelta {
    const sk = aggregateSortKey(window.name, start);
    const key = `${slot.pk}\u0000${sk}`;
    let folding = this.#deltas.get(key);
    if (folding === undefined) {
      folding = newFolding(metric, slot.group, slot.pk, sk, window, start, value, order);
      this.#deltas.set(key, folding);
    }
    return folding;
  }
}

/** The metrics of one event type, with the groups seen so far in this fold. */
interface MetricPlan {
  metric: CompiledMetric;
  /** Group (as read, and as admitted) to its slot. */
  slots: Map<string, GroupSlot>;
}

/**
 * One (metric, admitted group): its partition key, and per window the delta
 * of the bucket the last event fell in. Events of a batch mostly share a
 * bucket, so most land in the open one without building a key.
 */
interface GroupSlot {
  group: string;
  pk: string;
  open: (FoldingDelta | undefined)[];
}

function newSlot(metric: CompiledMetric, group: string): GroupSlot {
  return {
    group,
    pk: aggregatePartitionKey(metric.name, group),
    open: metric.windows.map(() => undefined),
  };
}

/** Per event type, a plan for each metric that counts events of it, in metric order. */
function plansByType(metrics: readonly CompiledMetric[]): Map<string, MetricPlan[]> {
  const plans = new Map<string, MetricPlan[]>();
  for (const metric of metrics) {
    // One plan per metric, shared by its types, so a group has one slot whatever the type.
    const plan: MetricPlan = { metric, slots: new Map() };
    for (const type of metric.types) {
      const list = plans.get(type) ?? [];
      list.push(plan);
      plans.set(type, list);
    }
  }
  return plans;
}

/** A new delta with nothing counted yet; {@link addTo} counts its first event. */
function newFolding(
  metric: CompiledMetric,
  group: string,
  pk: string,
  sk: string,
  window: CompiledWindow,
  start: number,
  value: number,
  order: string,
): FoldingDelta {
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
    count: 0,
    sum: '',
    min: value,
    max: value,
    hasValue: metric.readValue !== undefined,
    firstOrder: order,
    lastOrder: order,
  };
  if (metric.keepsHistogram) delta.histogram = new Map();
  return { delta, sum: new DecimalSum() };
}

/** Counts one value (at its decimal `scale`, in histogram bucket `bucketKey`) into `folding`. */
function addTo(
  folding: FoldingDelta,
  value: number,
  scale: number,
  bucketKey: string | undefined,
  order: string,
): void {
  const { delta } = folding;
  delta.count += 1;
  folding.sum.add(value, scale);
  if (value < delta.min) delta.min = value;
  if (value > delta.max) delta.max = value;
  if (bucketKey !== undefined && delta.histogram) {
    delta.histogram.set(bucketKey, (delta.histogram.get(bucketKey) ?? 0) + 1);
  }
  delta.lastOrder = order;
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

/**
 * Where the groups of a capped metric go: the group itself, {@link OTHER_GROUP},
 * or `undefined` when that is not known (the event is then left out).
 */
export type GroupAdmission = (metric: CompiledMetric, group: string) => string | undefined;

const KEEP_EVERY_GROUP: GroupAdmission = (_metric, group) => group;

/**
 * A {@link GroupAdmission} from decisions already taken: per capped metric,
 * the admitted groups; a capped metric missing from `admitted` is unresolved.
 */
export function admissionFrom(admitted: ReadonlyMap<string, ReadonlySet<string>>): GroupAdmission {
  return (metric, group) => {
    if (metric.maxGroups === undefined) return group;
    const groups = admitted.get(metric.name);
    if (!groups) return undefined;
    return groups.has(group) ? group : OTHER_GROUP;
  };
}

/**
 * The distinct groups of `metric` among `events`, in order of first appearance:
 * what must be admitted before the batch is folded.
 */
export function groupsToAdmit(metric: CompiledMetric, events: readonly FoldableEvent[]): string[] {
  const groups = new Set<string>();
  for (const { event } of events) if (foldsInto(metric, event)) groups.add(metric.groupOf(event));
  return [...groups];
}

/** Whether `event` counts in `metric`: the right type and, for value metrics, a finite value. */
function foldsInto(metric: CompiledMetric, event: StreamfoldEvent): boolean {
  if (!metric.types.has(event.type)) return false;
  if (!metric.readValue) return true;
  const raw = metric.readValue(event);
  // Schemas guarantee the type; a non-finite value would poison sums, so it is not folded.
  return typeof raw === 'number' && Number.isFinite(raw);
}

function groupOf(
  metric: CompiledMetric,
  event: StreamfoldEvent,
  admission: GroupAdmission,
): string | undefined {
  return admission(metric, metric.groupOf(event));
}
