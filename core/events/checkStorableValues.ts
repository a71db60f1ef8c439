import { type CompiledMetric, fieldReader } from '../aggregates/compileMetrics.js';
import type { MetricDefinition } from '../config/configSchema.js';
import { summableNumberProblem } from '../decimal/summableNumberRule.js';
import type { StreamfoldEvent } from './envelope.js';
import type { RejectReason } from './RejectReason.js';

/** What the check needs of a metric: the event types it folds and where its value is read. */
export type ValueSource = Pick<CompiledMetric, 'types' | 'readValue' | 'valuePath'>;

/**
 * Refuses an event that carries a metric value DynamoDB could not store, or
 * that could make a stored sum need more than DynamoDB's 38 significant
 * digits (see `SUMMABLE_NUMBER_LIMITS`: at most 12 decimal places, below
 * 1e14 in magnitude), as `unstorable_number` naming the field and quoting the
 * value. Every value an accepted event feeds into a stored figure (sum, min,
 * max, histogram bucket) passes, so no accepted event can make an update fail.
 *
 * Run it after schema validation (`validateEventLine`), with the metrics the
 * events are folded into; only values the fold reads are checked: numbers at
 * a metric's `value` path, in events of the metric's types.
 *
 * @returns the reason to refuse the event, or `undefined` to accept it
 * @example
 * const reason = checkStorableValues(result.event, metrics);
 * // { code: 'unstorable_number', field: 'data.amount',
 * //   message: 'data.amount: 5e-324 is too small in magnitude for DynamoDB to store exactly (…)' }
 */
export function checkStorableValues(
  event: StreamfoldEvent,
  metrics: readonly ValueSource[],
): RejectReason | undefined {
  for (const metric of metrics) {
    if (metric.readValue === undefined || !metric.types.has(event.type)) continue;
    const value = metric.readValue(event);
    // Anything else is not folded (a missing optional field); schemas guarantee the type.
    if (typeof value !== 'number') continue;
    const problem = summableNumberProblem(value);
    if (problem === undefined) continue;
    const field = metric.valuePath ?? '(value)';
    return { code: 'unstorable_number', message: `${field}: ${problem}`, field };
  }
  return undefined;
}

/**
 * The value sources of metric definitions as written in the configuration,
 * for code that checks events without compiling whole metrics (producers).
 *
 * @example
 * const sources = valueSourcesOf(config.metrics);
 */
export function valueSourcesOf(
  metrics: readonly Pick<MetricDefinition, 'on' | 'value'>[],
): ValueSource[] {
  return metrics
    .filter((metric) => metric.value !== undefined)
    .map((metric) => ({
      types: new Set(typeof metric.on === 'string' ? [metric.on] : metric.on),
      readValue: fieldReader(metric.value as string),
      valuePath: metric.value,
    }));
}
