import type { AggregateFigures } from '../../core/aggregates/GroundTruth.js';
import { GroundTruth, mergeAggregateFigures } from '../../core/aggregates/GroundTruth.js';
import { OTHER_GROUP } from '../../core/aggregates/GroupRegistry.js';
import type { MetricDefinition, StreamfoldConfig } from '../../core/config/configSchema.js';
import {
  type DynamoGroupRegistry,
  groupHash,
} from '../../functions/aggregate/DynamoGroupRegistry.js';

/**
 * Decides which groups of a capped metric keep their own items; the others
 * are counted in `__other__`, as the handler does.
 */
export interface GroupAdmissionSource {
  /** The admitted subset of `groups` (distinct, in order of first appearance). */
  admit(metric: MetricDefinition, groups: readonly string[]): Promise<ReadonlySet<string>>;
}

/**
 * A {@link GroupAdmissionSource} that only reads the metric's registry item: a group
 * in it is admitted; a group not in it is admitted while the registry has room
 * (the handler will admit it when it meets it), in order. Nothing is written.
 */
export function readOnlyAdmission(registry: DynamoGroupRegistry): GroupAdmissionSource {
  return {
    admit: async (metric, groups) => {
      const hashes = await registry.admittedHashes(metric.name);
      let room = metric.maxGroups - hashes.size;
      const admitted = new Set<string>();
      for (const group of groups) {
        if (hashes.has(groupHash(group))) admitted.add(group);
        else if (room > 0) {
          admitted.add(group);
          room--;
        }
      }
      return admitted;
    },
  };
}

/**
 * A {@link GroupAdmissionSource} that admits through the registry itself, as the
 * handler does, so every decision a repair or backfill relies on is final and
 * shared with the live handler.
 */
export function registryAdmission(registry: DynamoGroupRegistry): GroupAdmissionSource {
  return { admit: (metric, groups) => registry.admit(metric.name, metric.maxGroups, groups) };
}

/**
 * A ground truth over `metrics` with no group cap: caps are applied afterwards
 * by {@link applyGroupCaps} from the registry the handler used, because the
 * handler's first-come order across shards is not the archive's order.
 */
export function uncappedGroundTruth(
  config: StreamfoldConfig,
  metrics: readonly MetricDefinition[],
): GroundTruth {
  return new GroundTruth({
    ...config,
    metrics: metrics.map((metric) => ({ ...metric, maxGroups: Number.MAX_SAFE_INTEGER })),
  });
}

/**
 * Folds the items of groups a capped metric does not admit into its
 * `__other__` items (counts, sums and buckets add, min and max combine).
 * Items keep the `pk|sk` keys of {@link GroundTruth}.
 */
export async function applyGroupCaps(
  items: ReadonlyMap<string, AggregateFigures>,
  metrics: readonly MetricDefinition[],
  admission: GroupAdmissionSource,
): Promise<Map<string, AggregateFigures>> {
  const capped = metrics.filter((metric) => metric.groupBy.length > 0);
  const groupsByMetric = new Map<string, Set<string>>(capped.map((m) => [m.name, new Set()]));
  for (const key of items.keys()) {
    const { metric, group } = splitItemKey(key);
    groupsByMetric.get(metric)?.add(group);
  }
  const admittedByMetric = new Map<string, ReadonlySet<string>>();
  for (const metric of capped) {
    const groups = [...(groupsByMetric.get(metric.name) ?? [])].filter((g) => g !== OTHER_GROUP);
    admittedByMetric.set(metric.name, await admission.admit(metric, groups));
  }
  const result = new Map<string, AggregateFigures>();
  for (const [key, figures] of items) {
    const { metric, group, sk } = splitItemKey(key);
    const admitted = admittedByMetric.get(metric);
    const target =
      admitted === undefined || admitted.has(group) ? key : `${metric}#${OTHER_GROUP}|${sk}`;
    const existing = result.get(target);
    result.set(target, existing ? mergeAggregateFigures(existing, figures) : cloneFigures(figures));
  }
  return result;
}

/** Takes a `pk|sk` key apart; metric names hold no `#`, so the first `#` ends the metric. */
export function splitItemKey(key: string): {
  pk: string;
  sk: string;
  metric: string;
  group: string;
  window: string;
  bucket: string;
} {
  const bar = key.indexOf('|');
  const pk = key.slice(0, bar);
  const sk = key.slice(bar + 1);
  const hash = pk.indexOf('#');
  const skHash = sk.indexOf('#');
  return {
    pk,
    sk,
    metric: pk.slice(0, hash),
    group: pk.slice(hash + 1),
    window: sk.slice(0, skHash),
    bucket: sk.slice(skHash + 1),
  };
}

function cloneFigures(figures: AggregateFigures): AggregateFigures {
  return { ...figures, ...(figures.buckets ? { buckets: { ...figures.buckets } } : {}) };
}
