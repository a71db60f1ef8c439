/**
 * The group that events of groups beyond a metric's `maxGroups` fold into.
 * Real group keys always read `label=value`, so it cannot collide with one.
 */
export const OTHER_GROUP = '__other__';

/**
 * Decides which groups of a metric are kept under its `maxGroups` cap.
 *
 * Admission must be stable: once a group is admitted it stays admitted, and a
 * group refused once is refused forever, so a replayed batch routes every
 * event to the same group as the first delivery did and the per-shard
 * watermarks still count it exactly once. Groups are admitted first come,
 * first served, in the order given.
 */
export interface GroupRegistry {
  /**
   * Admits as many of `groups` (distinct, in order of first appearance) as
   * the cap allows.
   *
   * @returns the admitted subset of `groups`
   * @throws when the decision could not be made (the batch is retried)
   */
  admit(metric: string, maxGroups: number, groups: readonly string[]): Promise<ReadonlySet<string>>;
}

/**
 * The Powertools (CloudWatch) metric the aggregate handler publishes with the
 * events folded into {@link OTHER_GROUP} because a metric's cap is full; the
 * stack alarms on it.
 */
export const EVENTS_OVER_GROUP_CAP_METRIC = 'EventsOverGroupCap';

/** Dimension naming the capped metric on the per-metric copy of {@link EVENTS_OVER_GROUP_CAP_METRIC}. */
export const GROUP_CAP_METRIC_DIMENSION = 'metric';
