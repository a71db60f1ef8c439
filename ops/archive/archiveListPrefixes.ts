import { expandFirehosePrefix, staticRootOf } from '../../core/codec/firehosePrefix.js';

/** A calendar unit of the prefix's date patterns, coarse to fine, in UTC. */
interface TimeUnit {
  /** Java date pattern token that names the unit in a prefix expression. */
  token: string;
  /** Start of the period holding `ms`. */
  start(ms: number): number;
  /** Start of the period after the one starting at `start`. */
  next(start: number): number;
}

const HOUR_MS = 3_600_000;

const UNITS: readonly TimeUnit[] = [
  {
    token: 'yyyy',
    start: (ms) => Date.UTC(new Date(ms).getUTCFullYear(), 0, 1),
    next: (start) => Date.UTC(new Date(start).getUTCFullYear() + 1, 0, 1),
  },
  {
    token: 'MM',
    start: (ms) => {
      const d = new Date(ms);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    },
    next: (start) => {
      const d = new Date(start);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    },
  },
  {
    token: 'dd',
    start: (ms) => ms - (ms % 86_400_000),
    next: (start) => start + 86_400_000,
  },
  {
    token: 'HH',
    start: (ms) => ms - (ms % HOUR_MS),
    next: (start) => start + HOUR_MS,
  },
];

const EXPRESSION = /!\{([a-z]+):([^}]*)\}/g;

/**
 * The S3 prefixes to list so that exactly the archive objects that arrived in
 * `[since, until)` are found, whole hours at a time: the objects are
 * partitioned by arrival hour, so an hour the range touches is listed whole.
 * A day, month or year the range covers entirely is listed with one shorter
 * prefix instead of one per hour, so a month costs one listing, not 720.
 * Without `since`, the whole archive (the prefix's static root) is listed.
 *
 * @example
 * archiveListPrefixes('events/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
 *   new Date('2026-11-22T09:30:00Z'), new Date('2026-11-22T11:00:00Z'));
 * // ['events/year=2026/month=11/day=22/hour=09/', 'events/year=2026/month=11/day=22/hour=10/']
 */
export function archiveListPrefixes(prefix: string, since?: Date, until?: Date): string[] {
  if (since === undefined) return [staticRootOf(prefix)];
  const from = since.getTime();
  const to = (until ?? new Date()).getTime();
  if (to <= from) return [];
  const found = new Set<string>();
  const cover = (level: number, periodFrom: number, periodTo: number): void => {
    const unit = UNITS[level] as TimeUnit;
    const truncated = truncatedBefore(prefix, level);
    for (let start = unit.start(Math.max(from, periodFrom)); start < Math.min(to, periodTo); ) {
      const end = unit.next(start);
      const whole = start >= from && end <= to;
      if (whole || level === UNITS.length - 1) {
        found.add(expandFirehosePrefix(truncated, new Date(start)));
      } else {
        cover(level + 1, start, end);
      }
      start = end;
    }
  };
  cover(0, from, to);
  // A prefix without the finer patterns expands the same for several periods, and may
  // contain another one; keep only the shortest of nested prefixes.
  const sorted = [...found].sort();
  return sorted.filter((candidate, index) =>
    sorted.slice(0, index).every((shorter) => !candidate.startsWith(shorter)),
  );
}

/**
 * The prefix expression cut at the last `/` before the first expression that is
 * finer than unit `level` (a finer date unit, minutes, seconds, or a
 * `!{firehose:...}` value), so it expands the same for every instant of a period.
 */
function truncatedBefore(prefix: string, level: number): string {
  const allowed = new Set(UNITS.slice(0, level + 1).map((unit) => unit.token));
  for (const match of prefix.matchAll(EXPRESSION)) {
    const [, namespace, pattern] = match;
    const tokens = namespace === 'timestamp' ? (pattern ?? '').match(/yyyy|MM|dd|HH|mm|ss/g) : null;
    const finer = tokens === null || tokens.some((token) => !allowed.has(token));
    if (finer) return prefix.slice(0, prefix.lastIndexOf('/', match.index) + 1);
  }
  return prefix;
}
