import type { StreamfoldConfig } from '../config/configSchema.js';
import { PERCENTILE_STATS } from '../config/metricStats.js';
import { addDecimalStrings } from '../decimal/addDecimalStrings.js';
import { DecimalSum } from '../decimal/DecimalSum.js';
import { parseDuration } from '../duration.js';
import type { StreamfoldEvent } from '../events/envelope.js';
import { AGGREGATE_HISTOGRAM } from './aggregateHistogram.js';
import { OTHER_GROUP } from './GroupRegistry.js';

/** The figures of one aggregate item, as stored and as expected. */
export interface AggregateFigures {
  count: number;
  /**
   * The exact decimal sum of the values as written (see `DecimalSum`), in
   * canonical form (`'39411.6'`; see `formatDecimal`), so equal sums are
   * equal strings. Read it as a number with `Number(sum)`, compare it exactly
   * with `decimalsEqual`.
   */
  sum: string | undefined;
  min: number | undefined;
  max: number | undefined;
  /**
   * Values counted per histogram bucket key (`z`, `p<i>`, `n<i>`; see
   * `histogramBucketKey`), for metrics with a percentile stat.
   */
  buckets?: Record<string, number>;
}

/**
 * The aggregates a set of events must produce, computed straight from the
 * events, independently of the fold code that writes the table: one pass per
 * metric over plain objects. Keys are `pk|sk` as stored
 * (`revenue#country=DE|1m#2026-11-22T10:15:00.000Z`). Used by the load test's
 * `--verify` and by the pipeline tests.
 *
 * Sums are exact decimal sums of the values as written, as DynamoDB adds
 * them: `0.1 + 0.2` is `'0.3'`.
 *
 * Histogram bucket counts are computed here with their own plain formula
 * (`ceil(ln |v| / ln γ)`, clamped to the documented magnitude range), not
 * with the fold's bucket mapping, so a mistake in one shows up as a mismatch.
 *
 * The `maxGroups` cap is modelled as the handler applies it: the first
 * `maxGroups` distinct groups of a metric, in the order events are added, are
 * kept and the rest go to `__other__`. That is exact when events are added in
 * stream order of one shard. With several shards the admission order depends
 * on timing, so when a metric has more distinct groups than its cap only the
 * totals across all its groups (including `__other__`) and the number of
 * groups (at most `maxGroups` plus `__other__`) are exact; each group still
 * lands wholly in itself or wholly in `__other__`.
 *
 * @example
 * const truth = new GroundTruth(config);
 * for (const event of events) truth.add(event);
 * truth.items.get('events#type=purchase|1h#2026-11-22T10:00:00.000Z'); // { count: 3, ... }
 */
export class GroundTruth {
  readonly #config: StreamfoldConfig;
  readonly #windowMs = new Map<string, number>();
  /** Per metric, the groups admitted so far under its cap. */
  readonly #admitted = new Map<string, Set<string>>();
  /** Expected figures by `pk|sk`. */
  public readonly items = new Map<string, AggregateFigures>();
  /** The running exact sum of each item of a value metric, by `pk|sk`. */
  readonly #sums = new Map<string, DecimalSum>();
  /** Events added. */
  public events = 0;

  public constructor(config: StreamfoldConfig) {
    this.#config = config;
    for (const window of Object.keys(config.windows)) {
      const size = parseDuration(window);
      if (size === undefined) throw new Error(`window ${JSON.stringify(window)} is not a duration`);
      this.#windowMs.set(window, size);
    }
  }

  /** Adds one event to every metric it counts in. */
  public add(event: StreamfoldEvent): void {
    this.events++;
    const timeMs = Date.parse(event.time);
    for (const metric of this.#config.metrics) {
      const types = typeof metric.on === 'string' ? [metric.on] : metric.on;
      if (!types.includes(event.type)) continue;
      // A value metric counts the events that carry a finite number there: an optional or
      // nullable field left out is not a value, as in the handler.
      const raw = metric.value === undefined ? undefined : read(event, metric.value);
      if (metric.value !== undefined && !(typeof raw === 'number' && Number.isFinite(raw))) {
        continue;
      }
      const value = raw as number | undefined;
      // A field left out (or null) groups as the empty value, `label=`.
      const rawGroup =
        metric.groupBy.length === 0
          ? '*'
          : metric.groupBy
              .map(
                (path) =>
                  `${path.split('.').at(-1)}=${encodeURIComponent(String(read(event, path) ?? ''))}`,
              )
              .join(',');
      const group = this.#capped(metric.name, metric.maxGroups, rawGroup);
      const keepsHistogram =
        value !== undefined &&
        metric.stats.some((stat) => (PERCENTILE_STATS as readonly string[]).includes(stat));
      const bucket = keepsHistogram ? expectedBucketKey(value) : undefined;
      for (const window of metric.windows) {
        const size = this.#windowMs.get(window) as number;
        const start = Math.floor(timeMs / size) * size;
        const key = `${metric.name}#${group}|${window}#${new Date(start).toISOString()}`;
        let item = this.items.get(key);
        if (!item) {
          item = { count: 0, sum: undefined, min: undefined, max: undefined };
          this.items.set(key, item);
        }
        item.count++;
        if (value !== undefined) {
          let sum = this.#sums.get(key);
          if (!sum) {
            sum = new DecimalSum();
            this.#sums.set(key, sum);
          }
          item.sum = sum.add(value).toString();
          item.min = Math.min(item.min ?? value, value);
          item.max = Math.max(item.max ?? value, value);
        }
        if (bucket !== undefined) {
          item.buckets ??= {};
          item.buckets[bucket] = (item.buckets[bucket] ?? 0) + 1;
        }
      }
    }
  }

  #capped(metric: string, maxGroups: number, group: string): string {
    if (group === '*') return group;
    let admitted = this.#admitted.get(metric);
    if (!admitted) {
      admitted = new Set();
      this.#admitted.set(metric, admitted);
    }
    if (!admitted.has(group) && admitted.size < maxGroups) admitted.add(group);
    return admitted.has(group) ? group : OTHER_GROUP;
  }

  /** The expected items as a plain object, for a JSON file. */
  public toJSON(): Record<string, AggregateFigures> {
    return Object.fromEntries(this.items);
  }
}

/** The histogram bucket key of `value`, written out from the scheme's definition. */
function expectedBucketKey(value: number): string {
  const { relativeAccuracy: alpha, minMagnitude, maxMagnitude } = AGGREGATE_HISTOGRAM;
  const magnitude = Math.abs(value);
  if (magnitude < minMagnitude) return 'z';
  const gamma = (1 + alpha) / (1 - alpha);
  const index = Math.ceil(Math.log(Math.min(magnitude, maxMagnitude)) / Math.log(gamma));
  return `${value > 0 ? 'p' : 'n'}${index}`;
}

/** Reads a dotted path through own properties only, as the handler does. */
function read(event: StreamfoldEvent, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (value, key) =>
        typeof value === 'object' && value !== null && Object.hasOwn(value, key)
          ? (value as Record<string, unknown>)[key]
          : undefined,
      event,
    );
}

/**
 * The figures of two sets of events together: counts, sums (exactly, in
 * decimal) and histogram buckets add up, min and max combine. Neither input
 * is changed.
 */
export function mergeAggregateFigures(a: AggregateFigures, b: AggregateFigures): AggregateFigures {
  const pick = <T>(x: T | undefined, y: T | undefined, f: (p: T, q: T) => T) =>
    x === undefined ? y : y === undefined ? x : f(x, y);
  const merged: AggregateFigures = {
    count: a.count + b.count,
    sum: pick(a.sum, b.sum, addDecimalStrings),
    min: pick(a.min, b.min, Math.min),
    max: pick(a.max, b.max, Math.max),
  };
  if (a.buckets || b.buckets) {
    const buckets: Record<string, number> = { ...a.buckets };
    for (const [key, n] of Object.entries(b.buckets ?? {})) buckets[key] = (buckets[key] ?? 0) + n;
    merged.buckets = buckets;
  }
  return merged;
}
