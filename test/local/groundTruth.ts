import { expect } from 'vitest';
import { GroundTruth } from '../../core/aggregates/GroundTruth.js';
import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import type { StoredAggregate } from './readAggregates.js';

/** The aggregates `events` must produce under `config`, by `pk|sk`. */
export function expectedAggregates(
  config: StreamfoldConfig,
  events: readonly StreamfoldEvent[],
): Map<string, StoredAggregate> {
  const truth = new GroundTruth(config);
  for (const event of events) truth.add(event);
  return truth.items;
}

/**
 * Asserts that the stored aggregates hold exactly the expected items: same
 * keys, exact counts, min, max, histogram bucket counts and sums (both sides
 * add in exact decimal; both are read in canonical form, so equal sums are
 * equal strings).
 */
export function expectMatchesGroundTruth(
  stored: Map<string, StoredAggregate>,
  expected: Map<string, StoredAggregate>,
): void {
  expect([...stored.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [key, want] of expected) {
    const got = stored.get(key);
    expect(got?.count, key).toBe(want.count);
    expect(got?.min, key).toBe(want.min);
    expect(got?.max, key).toBe(want.max);
    expect(got?.buckets, key).toEqual(want.buckets);
    expect(got?.sum, key).toBe(want.sum);
  }
}
