import {
  evaluateFirehosePrefix,
  type FirehosePrefixPart,
  parseFirehosePrefix,
  resolveFirehosePrefix,
  staticRootOf,
} from '../../core/codec/firehosePrefix.js';

/** A calendar unit of the prefix's date patterns, coarse to fine, in UTC. */
interface TimeUnit {
  /** Java date pattern letters whose value is the same for every instant of one period of the unit. */
  letters: string;
  /** Start of the period holding `ms`. */
  start(ms: number): number;
  /** Start of the period after the one starting at `start`. */
  next(start: number): number;
}

const HOUR_MS = 3_600_000;

/** Zone pattern letters: they print the same for every instant in UTC. */
const ZONE_LETTERS = 'VzOXxZ';

const UNITS: readonly TimeUnit[] = [
  {
    letters: 'yuG',
    start: (ms) => Date.UTC(new Date(ms).getUTCFullYear(), 0, 1),
    next: (start) => Date.UTC(new Date(start).getUTCFullYear() + 1, 0, 1),
  },
  {
    letters: 'MLQq',
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
    letters: 'dDEecFwWY',
    start: (ms) => ms - (ms % 86_400_000),
    next: (start) => start + 86_400_000,
  },
  {
    letters: 'HhKka',
    start: (ms) => ms - (ms % HOUR_MS),
    next: (start) => start + HOUR_MS,
  },
];

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
  // A prefix without a timestamp expression is written under Firehose's default yyyy/MM/dd/HH/.
  const resolved = resolveFirehosePrefix(prefix);
  const from = since.getTime();
  const to = (until ?? new Date()).getTime();
  if (to <= from) return [];
  const found = new Set<string>();
  const cover = (level: number, periodFrom: number, periodTo: number): void => {
    const unit = UNITS[level] as TimeUnit;
    const truncated = truncatedBefore(resolved, level);
    for (let start = unit.start(Math.max(from, periodFrom)); start < Math.min(to, periodTo); ) {
      const end = unit.next(start);
      const whole = start >= from && end <= to;
      if ((whole && truncated.keepsPeriod) || level === UNITS.length - 1) {
        found.add(evaluateFirehosePrefix(truncated.prefix, new Date(start)));
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
 * `keepsPeriod` is false when the cut also drops a field of the unit or a
 * coarser one (`!{timestamp:yyyy/MM/dd/HH/}` cut for a year): the shorter
 * prefix then names more than the period and the finer unit must be listed.
 */
function truncatedBefore(prefix: string, level: number): { prefix: string; keepsPeriod: boolean } {
  const steady = UNITS.slice(0, level + 1)
    .map((unit) => unit.letters)
    .join('');
  const parts = parseFirehosePrefix(prefix);
  const lettersOf = (part: FirehosePrefixPart): string[] | null =>
    part.kind === 'timestamp' ? part.compiled.fields.map((field) => field.letter) : null;
  for (const part of parts) {
    if (part.kind === 'literal') continue;
    const letters = lettersOf(part);
    const finer =
      letters === null ||
      letters.some((letter) => !steady.includes(letter) && !ZONE_LETTERS.includes(letter));
    if (!finer) continue;
    const cut = prefix.lastIndexOf('/', part.index) + 1;
    const dropsPeriod = parts
      .filter((dropped) => dropped.index >= cut)
      .some((dropped) => lettersOf(dropped)?.some((letter) => steady.includes(letter)));
    return { prefix: prefix.slice(0, cut), keepsPeriod: !dropsPeriod };
  }
  return { prefix, keepsPeriod: true };
}
