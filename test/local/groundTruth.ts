import { expect } from 'vitest';
import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import type { StoredAggregate } from './readAggregates.js';

const WINDOW_MS: Record<string, number> = { '1m': 60_000, '1h': 3_600_000, '1d': 86_400_000 };

/**
 * Computes the expected aggregates straight from the events, independently of
 * the fold code under test: one pass per metric, plain objects, no shared helpers.
 */
export function expectedAggregates(
  config: StreamfoldConfig,
  events: readonly StreamfoldEvent[],
): Map<string, StoredAggregate> {
  const expected = new Map<string, StoredAggregate>();
  for (const metric of config.metrics) {
    const types = typeof metric.on === 'string' ? [metric.on] : metric.on;
    for (const event of events) {
      if (!types.includes(event.type)) continue;
      const read = (path: string): unknown =>
        path
          .split('.')
          .reduce<unknown>((value, key) => (value as Record<string, unknown>)?.[key], event);
      const group =
        metric.groupBy.length === 0
          ? '*'
          : metric.groupBy
              .map((path) => `${path.split('.').at(-1)}=${encodeURIComponent(String(read(path)))}`)
              .join(',');
      const value = metric.value === undefined ? undefined : (read(metric.value) as number);
      for (const window of metric.windows) {
        const size = WINDOW_MS[window];
        if (size === undefined) throw new Error(`test ground truth knows no window ${window}`);
        const start = Math.floor(Date.parse(event.time) / size) * size;
        const key = `${metric.name}#${group}|${window}#${new Date(start).toISOString()}`;
        const item = expected.get(key) ?? {
          count: 0,
          sum: undefined,
          min: undefined,
          max: undefined,
        };
        item.count++;
        if (value !== undefined) {
          item.sum = (item.sum ?? 0) + value;
          item.min = Math.min(item.min ?? value, value);
          item.max = Math.max(item.max ?? value, value);
        }
        expected.set(key, item);
      }
    }
  }
  return expected;
}

/**
 * Asserts that the stored aggregates hold exactly the expected items: same
 * keys, exact counts, min and max, and sums equal up to decimal rounding
 * (the table sums in decimal, the ground truth in binary floating point).
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
    if (want.sum === undefined) expect(got?.sum, key).toBeUndefined();
    else expect(got?.sum, key).toBeCloseTo(want.sum, 6);
  }
}
