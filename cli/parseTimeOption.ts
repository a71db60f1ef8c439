import { parseQueryTime } from '../functions/query/parseQueryParameters.js';
import { UsageError } from './errors.js';

/**
 * Reads a `--since` or `--until` value the same way in every command (and as
 * the query API reads its `since` and `until`): a duration back from `nowMs`
 * (`15m`, `1h`, `2d`), an ISO 8601 date, or a date and time with an offset
 * (`2026-11-22T10:00Z`). `now` is accepted too.
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
  try {
    return parseQueryTime(`--${name}`, text, nowMs);
  } catch {
    // parseQueryTime's message is the API's; the command line gets one form for every command.
    throw error(
      `--${name} must be a duration back from now, such as 15m, 1h or 2d, or an ISO 8601 time with an offset, such as 2026-11-22T10:00Z (given "${text}")`,
    );
  }
}
