import type { CompiledMetric } from '../../core/aggregates/compileMetrics.js';
import type { CappedMetric } from '../../functions/aggregate/aggregateKinesisBatch.js';
import type { DynamoGroupRegistry } from '../../functions/aggregate/DynamoGroupRegistry.js';
import { maxGroupsSetting } from '../../functions/aggregate/maxGroupsSetting.js';

/** Where a metric's group cap stands, as `GET /api/health` reports it. */
export interface GroupCapHealth {
  metric: string;
  /** Groups admitted so far (the metric's registry item). */
  groups: number;
  maxGroups: number;
  /** Every group of the cap is taken: events of any new group fold into `__other__`. */
  full: boolean;
  /** Events folded into `__other__` because of the full cap since the pipeline started. */
  eventsOverGroupCap: number;
  /** The configuration setting that holds the cap, for example `metrics.2.maxGroups`. */
  setting: string;
}

/**
 * Reads the group cap of every metric with `groupBy`: one `GetItem` of its
 * registry item each, in parallel, so the health route stays cheap.
 *
 * @param overSinceStart per metric found full, the events folded into `__other__` since the start
 */
export async function readGroupCapHealth(
  registry: Pick<DynamoGroupRegistry, 'groupCount'>,
  metrics: readonly CompiledMetric[],
  overSinceStart: readonly CappedMetric[],
): Promise<GroupCapHealth[]> {
  const capped = metrics.filter(
    (metric): metric is CompiledMetric & { maxGroups: number } => metric.maxGroups !== undefined,
  );
  return Promise.all(
    capped.map(async (metric) => {
      const groups = await registry.groupCount(metric.name);
      return {
        metric: metric.name,
        groups,
        maxGroups: metric.maxGroups,
        full: groups >= metric.maxGroups,
        eventsOverGroupCap:
          overSinceStart.find((entry) => entry.metric === metric.name)?.eventsOverGroupCap ?? 0,
        setting: maxGroupsSetting(metrics, metric.name),
      };
    }),
  );
}
