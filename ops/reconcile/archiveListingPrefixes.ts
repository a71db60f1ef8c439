import { expandFirehosePrefix } from '../../core/codec/firehosePrefix.js';

/** One hour, ms: Firehose's finest partition in `archive.prefix` here is the arrival hour. */
const HOUR_MS = 3_600_000;

/** Date patterns that an hourly listing may expand; anything finer ends the listed prefix. */
const HOURLY_PATTERN = /^(?:[^a-zA-Z]|yyyy|MM|dd|HH)*$/;

const EXPRESSION = /!\{(timestamp|firehose):([^}]+)\}/g;

/**
 * The S3 prefixes to list for objects that arrived between `fromMs` and
 * `toMs`: the archive prefix expression expanded for every arrival hour in
 * the range, cut before the first expression finer than an hour (minutes,
 * seconds, `!{firehose:random-string}`), so no object of those hours is missed.
 *
 * @example
 * archiveListingPrefixes('events/year=!{timestamp:yyyy}/hour=!{timestamp:HH}/', from, from + 3_600_000);
 * // ['events/year=2026/hour=10/', 'events/year=2026/hour=11/']
 */
export function archiveListingPrefixes(expression: string, fromMs: number, toMs: number): string[] {
  const listable = listablePart(expression);
  const prefixes = new Set<string>();
  for (let hour = Math.floor(fromMs / HOUR_MS) * HOUR_MS; hour <= toMs; hour += HOUR_MS) {
    prefixes.add(expandFirehosePrefix(listable, new Date(hour)));
  }
  return [...prefixes];
}

/** The expression up to its first part that an hour does not fix. */
function listablePart(expression: string): string {
  for (const match of expression.matchAll(EXPRESSION)) {
    const [, namespace, key] = match;
    if (namespace !== 'timestamp' || !HOURLY_PATTERN.test(key ?? '')) {
      return expression.slice(0, match.index);
    }
  }
  return expression;
}
