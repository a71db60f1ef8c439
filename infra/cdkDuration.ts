import { Duration } from 'aws-cdk-lib';
import { parseDuration } from '../core/duration.js';

/**
 * Converts a duration string from the configuration (`1s`, `24h`, `7d`) into a CDK
 * `Duration`, so the stack reads the same text the local runtime reads.
 *
 * @param setting dotted path of the setting, named in the error
 * @throws {Error} when `text` is not a duration
 * @example
 * cdkDuration('aggregation.maxRecordAge', '1h').toSeconds(); // 3600
 */
export function cdkDuration(setting: string, text: string): Duration {
  const ms = parseDuration(text);
  if (ms === undefined) {
    throw new Error(`${setting} must be a duration such as 5s, 1m or 24h (given "${text}")`);
  }
  return Duration.millis(ms);
}
