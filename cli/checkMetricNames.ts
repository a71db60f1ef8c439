import type { StreamfoldConfig } from '../core/config/configSchema.js';
import { didYouMeanSuffix } from './didYouMean.js';
import { UsageError } from './errors.js';

/**
 * Checks that every name in `names` is a metric the configuration declares,
 * before a command connects anywhere.
 *
 * @throws {UsageError} (or `error`'s error) naming the first unknown metric, with the closest
 *   declared one (`unknown metric cart_value (did you mean cart_quantity?)`) or the declared list
 */
export function checkMetricNames(
  names: readonly string[],
  config: Pick<StreamfoldConfig, 'metrics'>,
  error: (message: string) => Error = (message) => new UsageError(message),
): void {
  const declared = config.metrics.map((metric) => metric.name);
  for (const name of names) {
    if (declared.includes(name)) continue;
    const suggestion = didYouMeanSuffix(name, declared);
    throw error(`unknown metric ${name}${suggestion || ` (declared: ${declared.join(', ')})`}`);
  }
}
