import { bucketStart } from '../../core/aggregates/aggregateKey.js';
import { ALL_GROUP } from '../../core/aggregates/compileMetrics.js';
import type { MetricDefinition } from '../../core/config/configSchema.js';
import { parseDuration } from '../../core/duration.js';
import { QueryParameterError, UnknownMetricError } from './errors.js';
import type { QuerySettings } from './QuerySettings.js';

/** Buckets a range covers when `since` is not given. */
export const DEFAULT_RANGE_BUCKETS = 100;
/** Most buckets one request may cover; bounds the items a range can read. */
export const MAX_RANGE_BUCKETS = 10_000;
/** Points per series page when `limit` is not given. */
export const DEFAULT_SERIES_LIMIT = 500;
/** Most points per series page: keeps one response well under a megabyte. */
export const MAX_SERIES_LIMIT = 1_000;
/** Groups returned by `top` when `limit` is not given. */
export const DEFAULT_TOP_LIMIT = 10;
/** Most groups `top` returns. */
export const MAX_TOP_LIMIT = 1_000;
/** Longest group string accepted (pk is at most 2,048 bytes). */
const MAX_GROUP_LENGTH = 1_024;
/** Figures `top` can rank by. */
export const TOP_ORDERS = ['count', 'sum', 'avg', 'max'] as const;
/** A figure `top` ranks by. */
export type TopOrder = (typeof TOP_ORDERS)[number];

/** ISO 8601 date, or date and time with an offset (`Z`, `+01:00`, `+0100`). */
const ISO_TIME =
  /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i;

/** A metric, one of its windows and a bucket-aligned time range. */
export interface RangeParameters {
  metric: MetricDefinition;
  window: string;
  /** Window size, ms. */
  windowMs: number;
  /** Start of the first bucket in the range (the bucket holding `since`), ms since the epoch. */
  firstBucketMs: number;
  /** Start of the last bucket in the range (the bucket holding `until`), ms since the epoch. */
  lastBucketMs: number;
}

/**
 * What a series reads: `group`, one stored group's items as they are (the
 * `*` group of a metric without `groupBy` included, which holds all its
 * events); `total`, every group of a grouped metric added up per bucket.
 */
export type SeriesScope = 'group' | 'total';

/** Parameters of `GET /api/series`. */
export interface SeriesParameters extends RangeParameters {
  /** The stored group, or `*` for the total of a grouped metric. */
  group: string;
  scope: SeriesScope;
  limit: number;
  /** Opaque cursor of the previous page, decoded by `readSeries`. */
  cursor: string | undefined;
}

/** Parameters of `GET /api/top`. */
export interface TopParameters extends RangeParameters {
  by: TopOrder;
  limit: number;
}

/** Parameters of `GET /api/groups`. */
export type GroupsParameters = RangeParameters;

/**
 * Checks that `GET /api/metrics` has no parameters.
 *
 * @throws {QueryParameterError} naming the first parameter given
 */
export function parseMetricsParameters(query: URLSearchParams): void {
  readParameters(query, []);
}

/**
 * Parses `GET /api/groups` parameters: `metric`, `window`, `since`, `until`.
 *
 * @throws {QueryParameterError} naming the parameter and the value
 * @throws {UnknownMetricError} when `metric` is not declared
 */
export function parseGroupsParameters(
  query: URLSearchParams,
  settings: QuerySettings,
  nowMs: number,
): GroupsParameters {
  const values = readParameters(query, ['metric', 'window', 'since', 'until']);
  return parseRange(values, settings, nowMs);
}

/**
 * Parses `GET /api/series` parameters: `metric`, `group`, `window`, `since`,
 * `until`, `limit` (default 500, at most 1,000), `cursor`.
 *
 * `group` omitted or `*` means all of the metric's events: on a metric with
 * `groupBy` (which never writes `*`) the total over all its groups, scope
 * `total`; on a metric without, its one stored group `*`. Any other value
 * names one stored group, such as `country=DE`.
 *
 * @throws {QueryParameterError} naming the parameter and the value
 * @throws {UnknownMetricError} when `metric` is not declared
 * @example
 * parseSeriesParameters(new URLSearchParams('metric=revenue&group=country%3DDE&since=1h'), config, Date.now());
 */
export function parseSeriesParameters(
  query: URLSearchParams,
  settings: QuerySettings,
  nowMs: number,
): SeriesParameters {
  const values = readParameters(query, [
    'metric',
    'group',
    'window',
    'since',
    'until',
    'limit',
    'cursor',
  ]);
  const range = parseRange(values, settings, nowMs);
  const group = values.get('group') ?? ALL_GROUP;
  if (group === '' || group.length > MAX_GROUP_LENGTH) {
    throw new QueryParameterError(
      'group',
      group,
      `group: must be 1-${MAX_GROUP_LENGTH} characters, such as country=DE or * (given ${JSON.stringify(group)})`,
    );
  }
  const cursor = values.get('cursor');
  if (cursor === '') {
    throw new QueryParameterError('cursor', cursor, 'cursor: must not be empty (given "")');
  }
  return {
    ...range,
    group,
    scope: group === ALL_GROUP && range.metric.groupBy.length > 0 ? 'total' : 'group',
    limit: parseLimit(values.get('limit'), DEFAULT_SERIES_LIMIT, MAX_SERIES_LIMIT),
    cursor,
  };
}

/**
 * Parses `GET /api/top` parameters: `metric`, `window`, `since`, `until`,
 * `by` (count, sum, avg or max, default count; the metric must keep it) and
 * `limit` (default 10, at most 1,000).
 *
 * @throws {QueryParameterError} naming the parameter and the value
 * @throws {UnknownMetricError} when `metric` is not declared
 */
export function parseTopParameters(
  query: URLSearchParams,
  settings: QuerySettings,
  nowMs: number,
): TopParameters {
  const values = readParameters(query, ['metric', 'window', 'since', 'until', 'by', 'limit']);
  const range = parseRange(values, settings, nowMs);
  const by = values.get('by') ?? 'count';
  if (!(TOP_ORDERS as readonly string[]).includes(by)) {
    throw new QueryParameterError(
      'by',
      by,
      `by: must be one of ${TOP_ORDERS.join(', ')} (given ${JSON.stringify(by)})`,
    );
  }
  const kept = keptFigures(range.metric);
  if (!kept.has(by)) {
    throw new QueryParameterError(
      'by',
      by,
      `by: metric ${range.metric.name} does not keep ${by} (it keeps ${[...kept].join(', ')}) (given ${JSON.stringify(by)})`,
    );
  }
  return {
    ...range,
    by: by as TopOrder,
    limit: parseLimit(values.get('limit'), DEFAULT_TOP_LIMIT, MAX_TOP_LIMIT),
  };
}

/**
 * The figures a metric's points carry: `count` always; `sum`, `avg`, `min`,
 * `max` and the percentiles when the metric has a value and lists them.
 */
export function keptFigures(metric: MetricDefinition): Set<string> {
  const kept = new Set<string>(['count']);
  if (metric.value === undefined) return kept;
  for (const stat of metric.stats) kept.add(stat);
  return kept;
}

/** ECMAScript's time values end 100,000,000 days either side of the epoch (year -271821 to 275760). */
const MAX_TIME_VALUE_MS = 8.64e15;

/**
 * Parses a time given as ISO 8601 (date, or date and time with an offset) or
 * as a duration back from `nowMs` (`15m`, `1h`, `2d`).
 *
 * @throws {QueryParameterError} naming `name` and the value
 */
export function parseQueryTime(name: string, text: string, nowMs: number): number {
  const duration = parseDuration(text);
  if (duration !== undefined) {
    const ms = nowMs - duration;
    // Past the earliest time a Date holds, every later `toISOString()` would throw a RangeError.
    if (!(ms >= -MAX_TIME_VALUE_MS)) {
      throw new QueryParameterError(
        name,
        text,
        `${name}: ${JSON.stringify(text)} back from now is before the earliest time a date can hold (${new Date(-MAX_TIME_VALUE_MS).toISOString()}); give a shorter duration or an ISO 8601 time`,
      );
    }
    return ms;
  }
  const ms = ISO_TIME.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new QueryParameterError(
      name,
      text,
      `${name}: must be an ISO 8601 time with an offset, such as 2026-11-22T10:00:00Z, or a duration back from now, such as 15m, 1h or 2d (given ${JSON.stringify(text)})`,
    );
  }
  return ms;
}

function parseRange(
  values: Map<string, string>,
  settings: QuerySettings,
  nowMs: number,
): RangeParameters {
  const name = values.get('metric');
  if (name === undefined) {
    throw new QueryParameterError(
      'metric',
      undefined,
      `metric: required (metrics: ${settings.metrics.map((m) => m.name).join(', ')})`,
    );
  }
  const metric = settings.metrics.find((m) => m.name === name);
  if (!metric)
    throw new UnknownMetricError(
      name,
      settings.metrics.map((m) => m.name),
    );
  const window = values.get('window') ?? (metric.windows[0] as string);
  const windowMs = metric.windows.includes(window) ? parseDuration(window) : undefined;
  if (windowMs === undefined) {
    throw new QueryParameterError(
      'window',
      window,
      `window: metric ${metric.name} is kept in windows ${metric.windows.join(', ')} (given ${JSON.stringify(window)})`,
    );
  }
  const untilText = values.get('until');
  const untilMs = untilText === undefined ? nowMs : parseQueryTime('until', untilText, nowMs);
  const sinceText = values.get('since');
  const sinceMs =
    sinceText === undefined
      ? untilMs - DEFAULT_RANGE_BUCKETS * windowMs
      : parseQueryTime('since', sinceText, nowMs);
  const shown = (text: string | undefined, ms: number) =>
    `${text === undefined ? '' : `${JSON.stringify(text)} = `}${new Date(ms).toISOString()}`;
  const given = `(given since ${shown(sinceText, sinceMs)}, until ${shown(untilText, untilMs)})`;
  if (sinceMs > untilMs) {
    throw new QueryParameterError('since', sinceText, `since/until: since is after until ${given}`);
  }
  const firstBucketMs = bucketStart(sinceMs, windowMs);
  const lastBucketMs = bucketStart(untilMs, windowMs);
  // A window that does not divide the time range may start the first bucket before any date.
  if (firstBucketMs < -MAX_TIME_VALUE_MS) {
    throw new QueryParameterError(
      'since',
      sinceText,
      `since: the ${window} bucket holding it starts before the earliest time a date can hold ${given}`,
    );
  }
  const buckets = (lastBucketMs - firstBucketMs) / windowMs + 1;
  if (buckets > MAX_RANGE_BUCKETS) {
    throw new QueryParameterError(
      'since',
      sinceText,
      `since/until: the range covers ${buckets} buckets of ${window}, more than ${MAX_RANGE_BUCKETS}; narrow it or use a larger window ${given}`,
    );
  }
  return { metric, window, windowMs, firstBucketMs, lastBucketMs };
}

function parseLimit(text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const limit = /^\d{1,7}$/.test(text) ? Number(text) : Number.NaN;
  if (!(limit >= 1 && limit <= max)) {
    throw new QueryParameterError(
      'limit',
      text,
      `limit: must be a whole number from 1 to ${max} (given ${JSON.stringify(text)})`,
    );
  }
  return limit;
}

/**
 * The parameters as a map, refusing names not in `allowed` (a misspelt name
 * would otherwise be ignored silently) and names given twice.
 */
function readParameters(query: URLSearchParams, allowed: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const [name, value] of query) {
    if (!allowed.includes(name)) {
      throw new QueryParameterError(
        name,
        value,
        `${name}: unknown parameter (accepted: ${allowed.join(', ') || 'none'}) (given ${JSON.stringify(value)})`,
      );
    }
    if (values.has(name)) {
      throw new QueryParameterError(
        name,
        value,
        `${name}: given more than once (given ${JSON.stringify(values.get(name))} and ${JSON.stringify(value)})`,
      );
    }
    values.set(name, value);
  }
  return values;
}
