import { parseDuration } from '../core/duration.js';
import { parseQueryTime } from '../functions/query/parseQueryParameters.js';
import { UsageError } from './errors.js';

/**
 * Earliest time a command takes: the Unix epoch. Events, archive partitions and
 * on-failure objects are stamped in ms since it, so nothing streamfold keeps is older.
 */
export const EARLIEST_TIME_MS = Date.parse('1970-01-01T00:00:00Z');

/** Latest time a command takes: the last a four-digit year (`yyyy` of a partition) can name. */
export const LATEST_TIME_MS = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * Reads a `--since` or `--until` value the same way in every command (and as
 * the query API reads its `since` and `until`): a duration back from `nowMs`
 * (`15m`, `1h`, `2d`), an ISO 8601 date, or a date and time with an offset
 * (`2026-11-22T10:00Z`). `now` is accepted too. The time must lie between
 * 1970 and the year 9999: a range reaching further would make a command list
 * or read for hours what cannot exist.
 *
 * @returns ms since the epoch
 * @throws {UsageError} (or `error`'s error) naming the option and the value
 * @example
 * parseTimeOption('since', '1h', Date.parse('2026-11-22T10:00Z')); // Date.parse('2026-11-22T09:00Z')
 */
export function parseTimeOption(
  name: string,
  text: string,
  nowMs: number,
  error: (message: string) => Error = (message) => new UsageError(message),
): number {
  if (text === 'now') return nowMs;
  let ms: number;
  try {
    ms = parseQueryTime(`--${name}`, text, nowMs);
  } catch {
    // parseQueryTime's message is the API's; the command line gets one form for every command.
    // A duration too long for any date (99999999999999d) is a time out of range, said below.
    if (parseDuration(text) === undefined) {
      throw error(
        `--${name} must be a duration back from now, such as 15m, 1h or 2d, or an ISO 8601 time with an offset, such as 2026-11-22T10:00Z (given "${text}")`,
      );
    }
    ms = Number.NEGATIVE_INFINITY;
  }
  if (!(ms >= EARLIEST_TIME_MS && ms <= LATEST_TIME_MS)) {
    const when = Number.isFinite(ms) ? new Date(ms).toISOString() : 'before any date';
    throw error(
      `--${name} must be a time from 1970-01-01T00:00Z to 9999-12-31T23:59Z (given "${text}", ${when})`,
    );
  }
  return ms;
}

/**
 * Checks that `--since` comes before `--until` (or before now, when `--until`
 * is not given), the same rule in every command that takes a range: a range
 * that starts in the future, or ends before it starts, holds nothing.
 *
 * @throws {UsageError} (or `error`'s error) naming both times
 * @example
 * checkTimeRange(Date.parse('2026-11-23T00:00Z'), Date.parse('2026-11-22T00:00Z'));
 * // throws: --since must be before --until (given 2026-11-23T00:00:00.000Z and 2026-11-22T00:00:00.000Z)
 */
export function checkTimeRange(
  sinceMs: number,
  untilMs: number,
  error: (message: string) => Error = (message) => new UsageError(message),
): void {
  if (sinceMs < untilMs) return;
  throw error(
    `--since must be before --until (given ${new Date(sinceMs).toISOString()} and ${new Date(untilMs).toISOString()})`,
  );
}
