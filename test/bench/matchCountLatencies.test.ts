import { describe, expect, it } from 'vitest';
import { type CountSample, matchCountLatencies } from '../../bench/matchCountLatencies.js';

describe('matchCountLatencies', () => {
  it('takes the k-th event out to be the k-th event in', () => {
    // Prepare: 10 events put evenly over the first second (one every 100 ms), all folded at 1.5 s
    const ins: CountSample[] = [
      { at: 0, count: 0 },
      { at: 1_000, count: 10 },
    ];
    const outs: CountSample[] = [{ at: 1_500, count: 10 }];

    // Act
    const latencies = matchCountLatencies(ins, outs);

    // Assess: the first event went in at 100 ms, the last at 1,000 ms
    expect(latencies.count).toBe(10);
    expect(latencies.max).toBe(1_400);
    expect(latencies.min).toBe(500);
  });

  it('matches events folded over several samples against the put times in between', () => {
    // Prepare: 100 events at 0..1 s, 100 more at 1..2 s; folded 100 at 1.2 s and 100 at 2.2 s
    const ins: CountSample[] = [
      { at: 0, count: 0 },
      { at: 1_000, count: 100 },
      { at: 2_000, count: 200 },
    ];
    const outs: CountSample[] = [
      { at: 1_200, count: 100 },
      { at: 2_200, count: 200 },
    ];

    // Act
    const latencies = matchCountLatencies(ins, outs);

    // Assess: each batch's latencies run from 200 ms (last in) to 1,190 ms (first in)
    expect(latencies.count).toBe(200);
    expect(latencies.min).toBe(200);
    expect(latencies.max).toBe(1_190);
    // The middle of 200..1,190 ms, within the histogram's 1 %.
    expect(latencies.quantile(0.5)).toBeGreaterThan(0.99 * 690);
    expect(latencies.quantile(0.5)).toBeLessThan(1.01 * 700);
  });

  it('stops at the last event in when more events are out than in', () => {
    // Prepare: events folded that the series of puts has not seen yet
    const ins: CountSample[] = [
      { at: 0, count: 0 },
      { at: 100, count: 5 },
    ];
    const outs: CountSample[] = [{ at: 300, count: 8 }];

    // Act
    const latencies = matchCountLatencies(ins, outs);

    // Assess
    expect(latencies.count).toBe(5);
  });

  it('reports no latency when nothing came out', () => {
    // Act
    const latencies = matchCountLatencies([{ at: 0, count: 10 }], []);

    // Assess
    expect(latencies.count).toBe(0);
    expect(latencies.quantile(0.99)).toBeUndefined();
  });
});
