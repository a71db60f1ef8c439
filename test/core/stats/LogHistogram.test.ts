import { describe, expect, it } from 'vitest';
import { LogHistogram } from '../../../core/stats/LogHistogram.js';

/** The value at quantile q of sorted values, by the same rank rule the histogram uses. */
function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

describe('LogHistogram', () => {
  it('reports every quantile within 1 % of the exact value over a wide range', () => {
    // Prepare: log-uniform values from 0.01 to 100,000 (seeded LCG)
    let seed = 42;
    const random = () => {
      seed = (seed * 1_664_525 + 1_013_904_223) % 4_294_967_296;
      return seed / 4_294_967_296;
    };
    const values = Array.from({ length: 50_000 }, () => 10 ** (random() * 7 - 2));
    const histogram = new LogHistogram();

    // Act
    for (const value of values) histogram.record(value);

    // Assess
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0, 0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1]) {
      const exact = exactQuantile(sorted, q);
      const reported = histogram.quantile(q) as number;
      expect(Math.abs(reported - exact) / exact, `q=${q}`).toBeLessThanOrEqual(0.01);
    }
    expect(histogram.count).toBe(values.length);
    expect(histogram.min).toBe(sorted[0]);
    expect(histogram.max).toBe(sorted.at(-1));
  });

  it('merges two histograms into the histogram of all their values', () => {
    const a = new LogHistogram();
    const b = new LogHistogram();
    const all = new LogHistogram();
    for (let i = 1; i <= 1_000; i++) {
      (i % 2 ? a : b).record(i);
      all.record(i);
    }
    a.merge(b);
    expect(a.summary()).toEqual(all.summary());
  });

  it('counts zeros and negatives in a zero bucket and reports zeros when empty', () => {
    const histogram = new LogHistogram();
    expect(histogram.summary()).toEqual({ count: 0, p50: 0, p95: 0, p99: 0, max: 0 });
    histogram.record(0, 3);
    histogram.record(10);
    expect(histogram.quantile(0.5)).toBe(0);
    expect(histogram.quantile(1)).toBe(10);
  });

  it('rejects a value that is not finite and an accuracy outside (0, 1), naming the value', () => {
    expect(() => new LogHistogram().record(Number.NaN)).toThrow('value must be finite (given NaN)');
    expect(() => new LogHistogram(1)).toThrow('relativeAccuracy must lie in (0, 1) (given 1)');
    expect(() => new LogHistogram(0.01).merge(new LogHistogram(0.02))).toThrow(/cannot merge/);
  });
});
