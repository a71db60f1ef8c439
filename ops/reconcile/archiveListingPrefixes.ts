import { archiveListPrefixes } from '../archive/archiveListPrefixes.js';

/**
 * The S3 prefixes to list for objects that arrived between `fromMs` and
 * `toMs` (both included): the archive prefix expression expanded for every
 * arrival hour the range touches, cut before the first expression finer than
 * an hour (minutes, seconds, `!{firehose:random-string}`), so no object of
 * those hours is missed. A day, month or year the range covers whole is one
 * shorter prefix, as the archive command lists it: ten years cost tens of
 * listings, not 87,600.
 *
 * @example
 * archiveListingPrefixes('events/year=!{timestamp:yyyy}/hour=!{timestamp:HH}/', from, from + 3_600_000);
 * // ['events/year=2026/hour=10/', 'events/year=2026/hour=11/']
 */
export function archiveListingPrefixes(expression: string, fromMs: number, toMs: number): string[] {
  // archiveListPrefixes takes [since, until); the hour holding `toMs` is listed too.
  return archiveListPrefixes(expression, new Date(fromMs), new Date(toMs + 1));
}
