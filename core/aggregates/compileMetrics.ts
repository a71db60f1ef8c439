import type { MetricDefinition, StreamfoldConfig } from '../config/configSchema.js';
import { PERCENTILE_STATS } from '../config/metricStats.js';
import { parseDuration } from '../duration.js';
import type { StreamfoldEvent } from '../events/envelope.js';

/** Group key of a metric without `groupBy`. */
export const ALL_GROUP = '*';

/** A window ready for bucketing. */
export interface CompiledWindow {
  /** Window name as declared, for example `1m`. */
  name: string;
  /** Bucket size, ms. */
  sizeMs: number;
  /** How long a bucket is kept after it closes, ms; `undefined` keeps it forever. */
  retentionMs: number | undefined;
}

/** A metric definition turned into accessors, so folding does no parsing. */
export interface CompiledMetric {
  name: string;
  types: ReadonlySet<string>;
  /** Reads the folded value; `undefined` for count-only metrics. */
  readValue: ((event: StreamfoldEvent) => unknown) | undefined;
  /** Dotted path of the folded value (for example `data.amount`); `undefined` for count-only metrics. */
  valuePath: string | undefined;
  /** Builds the group key, for example `country=DE`. */
  groupOf: (event: StreamfoldEvent) => string;
  /** Dotted paths of the fields the group key is built from, as declared (`[]`: one group). */
  groupBy: readonly string[];
  /** Whether deltas carry histogram bucket counts: the metric keeps a percentile. */
  keepsHistogram: boolean;
  /** Most distinct groups kept (see `GroupRegistry`); `undefined` for metrics without `groupBy`. */
  maxGroups: number | undefined;
  windows: readonly CompiledWindow[];
}

/** The settings the aggregate handler needs, carried to the function as one JSON value. */
export interface AggregationSettings {
  metrics: MetricDefinition[];
  windows: StreamfoldConfig['windows'];
  events: StreamfoldConfig['events'];
}

/** Picks the handler's settings out of the configuration. */
export function aggregationSettingsOf(config: StreamfoldConfig): AggregationSettings {
  return { metrics: config.metrics, windows: config.windows, events: config.events };
}

/**
 * Compiles metric definitions into the accessors {@link AggregateFold} uses.
 * The definitions must already be validated (see `validateConfig`).
 */
export function compileMetrics(
  settings: Pick<AggregationSettings, 'metrics' | 'windows'>,
): CompiledMetric[] {
  return settings.metrics.map((metric) => ({
    name: metric.name,
    types: new Set(typeof metric.on === 'string' ? [metric.on] : metric.on),
    readValue: metric.value === undefined ? undefined : fieldReader(metric.value),
    valuePath: metric.value,
    groupOf: groupKeyBuilder(metric.groupBy),
    groupBy: metric.groupBy,
    keepsHistogram:
      metric.value !== undefined &&
      metric.stats.some((stat) => (PERCENTILE_STATS as readonly string[]).includes(stat)),
    // A metric without groupBy has the one group `*`: nothing to cap.
    maxGroups: metric.groupBy.length === 0 ? undefined : metric.maxGroups,
    windows: metric.windows.map((name) => {
      const retention = settings.windows[name]?.retention;
      return {
        name,
        sizeMs: mustParse(name),
        retentionMs: retention === undefined ? undefined : mustParse(retention),
      };
    }),
  }));
}

function mustParse(duration: string): number {
  const ms = parseDuration(duration);
  if (ms === undefined) throw new RangeError(`not a duration: "${duration}"`);
  return ms;
}

/** Reads a dotted path through own properties only, so `__proto__` never resolves. */
export function fieldReader(path: string): (event: StreamfoldEvent) => unknown {
  const keys = path.split('.');
  const [first, second] = keys;
  // `data.amount`-style paths are every shipped metric's; read them without a loop.
  if (keys.length === 2 && first !== undefined && second !== undefined) {
    return (event) => {
      const outer: unknown = Object.hasOwn(event, first)
        ? (event as unknown as Record<string, unknown>)[first]
        : undefined;
      if (typeof outer !== 'object' || outer === null || !Object.hasOwn(outer, second)) {
        return undefined;
      }
      return (outer as Record<string, unknown>)[second];
    };
  }
  return (event) => {
    let current: unknown = event;
    for (const key of keys) {
      if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) {
        return undefined;
      }
      current = (current as Record<string, unknown>)[key];
    }
    return current;
  };
}

/**
 * Distinct raw values whose group key is remembered per metric; past it the
 * memory starts afresh, so made-up values cannot grow it without bound.
 */
const GROUP_KEY_CACHE_LIMIT = 4_096;

/**
 * Longest value (in UTF-16 units) whose key is remembered: group values are
 * short codes and names, and a long one (a path, a free text) would make the
 * memory large while rarely repeating.
 */
const CACHED_VALUE_MAX_LENGTH = 256;

/**
 * One part of a group key: `label=value`, the value as text, percent-encoded
 * so `,` and `=` inside it cannot be mistaken for separators. Never throws:
 * an unpaired surrogate (which `encodeURIComponent` refuses) is written as
 * U+FFFD, and a value that cannot be turned into text (an object whose
 * `toString` is not a function) is written as its JSON.
 */
function groupKeyPart(label: string, raw: unknown): string {
  let text: string;
  try {
    text = String(raw ?? '');
  } catch {
    text = JSON.stringify(raw) ?? '';
  }
  try {
    return `${label}=${encodeURIComponent(text)}`;
  } catch {
    return `${label}=${encodeURIComponent(text.replace(UNPAIRED_SURROGATE, '\uFFFD'))}`;
  }
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const UNPAIRED_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function groupKeyBuilder(groupBy: readonly string[]): (event: StreamfoldEvent) => string {
  if (groupBy.length === 0) return () => ALL_GROUP;
  const parts = groupBy.map((path) => ({
    label: path.split('.').at(-1) ?? path,
    read: fieldReader(path),
  }));
  const [only] = parts;
  if (parts.length > 1 || only === undefined) {
    return (event) => parts.map(({ label, read }) => groupKeyPart(label, read(event))).join(',');
  }
  // One field: the key is a function of its value, and a batch repeats few values, so the
  // encoded key is remembered per value instead of being built for every event.
  const known = new Map<unknown, string>();
  return (event) => {
    const raw = only.read(event);
    // Objects would be remembered by identity (and kept alive), long texts would make the
    // memory large: both are rare enough to build each time.
    if (
      (typeof raw === 'object' && raw !== null) ||
      (typeof raw === 'string' && raw.length > CACHED_VALUE_MAX_LENGTH)
    ) {
      return groupKeyPart(only.label, raw);
    }
    let key = known.get(raw);
    if (key === undefined) {
      key = groupKeyPart(only.label, raw);
      if (known.size >= GROUP_KEY_CACHE_LIMIT) known.clear();
      known.set(raw, key);
    }
    return key;
  };
}
