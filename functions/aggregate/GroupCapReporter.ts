import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { CompiledMetric } from '../../core/aggregates/compileMetrics.js';
import {
  EVENTS_OVER_GROUP_CAP_METRIC,
  GROUP_CAP_METRIC_DIMENSION,
  OTHER_GROUP,
} from '../../core/aggregates/GroupRegistry.js';
import type { CappedMetric } from './aggregateKinesisBatch.js';
import { maxGroupsSetting } from './maxGroupsSetting.js';

/**
 * Tells the operator when a metric's group cap is full: the events folded
 * into {@link OTHER_GROUP} because of it as Powertools metrics every batch,
 * and one warning per metric for the life of the container (the first batch
 * that finds it full), since every later batch would repeat it.
 *
 * @example
 * const reporter = new GroupCapReporter(compileMetrics(settings), logger, metrics);
 * reporter.report(summary.cappedMetrics);
 * metrics.publishStoredMetrics();
 */
export class GroupCapReporter {
  readonly #metrics: readonly CompiledMetric[];
  readonly #logger: Logger;
  readonly #powertools: Metrics;
  /** Per metric, events over its cap since the container started, in first-seen order. */
  readonly #totals = new Map<string, CappedMetric>();

  /**
   * @param metrics the compiled metrics, in configuration order (their index names the setting)
   * @param powertools where `EventsOverGroupCap` is added; the caller publishes its stored metrics
   */
  public constructor(metrics: readonly CompiledMetric[], logger: Logger, powertools: Metrics) {
    this.#metrics = metrics;
    this.#logger = logger;
    this.#powertools = powertools;
  }

  /**
   * Reports one batch's capped metrics: `EventsOverGroupCap` over all metrics
   * (0 included, so the alarm's metric always has data while batches run),
   * one `EventsOverGroupCap` per capped metric with a `metric` dimension
   * (bounded: metric names come from the configuration), and the warning for
   * a metric seen full for the first time.
   */
  public report(capped: readonly CappedMetric[]): void {
    let total = 0;
    for (const entry of capped) {
      total += entry.eventsOverGroupCap;
      const single = this.#powertools.singleMetric();
      single.addDimension(GROUP_CAP_METRIC_DIMENSION, entry.metric);
      single.addMetric(EVENTS_OVER_GROUP_CAP_METRIC, MetricUnit.Count, entry.eventsOverGroupCap);
      const known = this.#totals.get(entry.metric);
      if (known) {
        known.eventsOverGroupCap += entry.eventsOverGroupCap;
        known.maxGroups = entry.maxGroups;
        continue;
      }
      this.#totals.set(entry.metric, { ...entry });
      const setting = maxGroupsSetting(this.#metrics, entry.metric);
      this.#logger.warn(
        `metric ${entry.metric} has reached its group cap of ${entry.maxGroups}: events of ` +
          `further groups fold into ${OTHER_GROUP}. Raise ${setting} if the field really has ` +
          'that many values, or group by a field with a bounded set of values',
        {
          metric: entry.metric,
          maxGroups: entry.maxGroups,
          setting,
          eventsOverGroupCap: entry.eventsOverGroupCap,
        },
      );
    }
    this.#powertools.addMetric(EVENTS_OVER_GROUP_CAP_METRIC, MetricUnit.Count, total);
  }

  /** Per capped metric, the events folded into {@link OTHER_GROUP} since the container started. */
  public totals(): CappedMetric[] {
    return [...this.#totals.values()].map((entry) => ({ ...entry }));
  }
}
