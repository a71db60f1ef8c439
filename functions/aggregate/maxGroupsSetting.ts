import type { CompiledMetric } from '../../core/aggregates/compileMetrics.js';

/**
 * The configuration path of a metric's group cap, the setting an operator
 * raises when it is full.
 *
 * @example
 * maxGroupsSetting(compileMetrics(config), 'cart_quantity'); // 'metrics.2.maxGroups'
 */
export function maxGroupsSetting(metrics: readonly CompiledMetric[], name: string): string {
  // Compiled metrics keep the configuration's order, so the index is the configuration's.
  const index = metrics.findIndex((metric) => metric.name === name);
  return index === -1 ? `maxGroups of metric ${name}` : `metrics.${index}.maxGroups`;
}
