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
  /** The same plans by metric. */
  readonly #planOf: ReadonlyMap<CompiledMetric, MetricPlan>;
  readonly #deltas = new Map<string, FoldingDelta>();
  readonly #admission: GroupAdmission;
  /** The events folded, kept for refolds unless they can be recalled. */
  readonly #events: FoldableEvent[] | undefined;
  readonly #recall: () => readonly FoldableEvent[];
  #eventCount = 0;
  #unresolvedFirstOrder: string | undefined;

  /**
   * @param admission where each group of a capped metric goes; by default every group is kept
   *   (see {@link AggregateFold.regrouped} to decide admission after folding)
   * @param recall gives back the events folded, in order, when a refold needs them; without
   *   it the fold keeps every event it folds. Keeping a large batch's events alive until its
   *   writes are done costs the garbage collector more than the rest of the fold.
   */
  public constructor(
    metrics: readonly CompiledMetric[],
    admission: GroupAdmission = KEEP_EVERY_GROUP,
    recall?: () => readonly FoldableEvent[],
  ) {
    this.#metrics = metrics;
    this.#admission = admission;
    this.#planOf = new Map(metrics.map((metric) => [metric, { metric, slots: new Map() }]));
    this.#plans = plansByType(this.#planOf);
    if (recall) this.#recall = recall;
    else {
      const kept: FoldableEvent[] = [];
      this.#events = kept;
      this.#recall = () => kept;
    }
  }

  /** Number of events folded so far. */
  public get eventCount(): number {
    return this.#eventCount;
  }

  /**
   * The groups of `metric` its events fell in, in order of first appearance:
   * what must be admitted before a fold made with every group kept is
   * {@link AggregateFold.regrouped}.
   */
  public groupsOf(metric: CompiledMetric): string[] {
    const plan = this.#planOf.get(metric);
    return plan ? [...new Set([...plan.slots.values()].map((slot) => slot.group))] : [];
  }

  /**
   * This fold's deltas with the groups of capped metrics routed by
   * `admission`: groups past a cap merged into the other group, groups whose
   * admission is unknown left out (and {@link unresolvedFirstOrder} set to
   * the first record with an event in them). The same deltas as folding the
   * same events with `admission` from the start. This fold must keep every
   * group (no admission of its own).
   */
  public regrouped(admission: GroupAdmission): AggregateFold {
    if (this.#admission !== KEEP_EVERY_GROUP) {
      throw new Error('only a fold that keeps every group can be regrouped');
    }
    const regrouped = new AggregateFold(this.#metrics, admission, this.#recall);
    regrouped.#eventCount = this.#eventCount;
    regrouped.#unresolvedFirstOrder = this.#unresolvedFirstOrder;
    const byName = new Map(this.#metrics.map((metric) => [metric.name, metric]));
    for (const { delta, sum } of this.#deltas.values()) {
      const metric = byName.get(delta.metric) as CompiledMetric;
      const group = admission(metric, delta.group);
      if (group === undefined) {
        const first = regrouped.#unresolvedFirstOrder;
        if (first === undefined || delta.firstOrder < first) {
          regrouped.#unresolvedFirstOrder = delta.firstOrder;
        }
        continue;
      }
      const pk = group === delta.group ? delta.pk : aggregatePartitionKey(metric.name, group);
      const key = `${pk}\u0000${delta.sk}`;
      const into = regrouped.#deltas.get(key);
      if (into !== undefined) mergeInto(into, { delta, sum });
      else if (group === delta.group) regrouped.#deltas.set(key, { delta, sum });
      else {
        // A group counted in another (the other group past a cap) starts a delta of its own,
        // which later groups merge into. An admitted group is the group itself or the other
        // group, which no group read from an event can be (those are `label=value`), so a
        // delta kept as it was never receives a merge.
        const copy: AggregateDelta = { ...delta, pk, group };
        if (delta.histogram) copy.histogram = new Map(delta.histogram);
        regrouped.#deltas.set(key, {
          delta: copy,
          sum: new DecimalSum().addDecimal(sum.toString()),
        });
      }
    }
    return regrouped;
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
    this.#events?.push(item);
    this.#eventCount++;
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
    for (const item of this.#recall()) {
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
function plansByType(planOf: ReadonlyMap<CompiledMetric, MetricPlan>): Map<string, MetricPlan[]> {
  const plans = new Map<string, MetricPlan[]>();
  // One plan per metric, shared by its types, so a group has one slot whatever the type.
  for (const [metric, plan] of planOf) {
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

/**
 * Adds the counts of `from` to `into`, two deltas of one item folded from
 * different events: as if `from`'s events had been counted in `into`.
 */
function mergeInto(into: FoldingDelta, from: FoldingDelta): void {
  const target = into.delta;
  const source = from.delta;
  if (target.histogram && source.histogram) {
    for (const [bucket, count] of source.histogram) {
      target.histogram.set(bucket, (target.histogram.get(bucket) ?? 0) + count);
    }
  }
  target.count += source.count;
  into.sum.addDecimal(from.sum.toString());
  if (source.min < target.min) target.min = source.min;
  if (source.max > target.max) target.max = source.max;
  if (source.firstOrder < target.firstOrder) target.firstOrder = source.firstOrder;
  if (source.lastOrder > target.lastOrder) target.lastOrder = source.lastOrder;
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
