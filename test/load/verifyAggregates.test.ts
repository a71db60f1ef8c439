import { describe, expect, it } from 'vitest';
import type { AggregateFigures } from '../../core/aggregates/GroundTruth.js';
import { GroundTruth } from '../../core/aggregates/GroundTruth.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import { compareAggregates, waitForAggregates } from '../../load/verifyAggregates.js';
import { sampleEvent } from '../helpers/events.js';

const figures = (count: number, sum?: string, min?: number, max?: number): AggregateFigures => ({
  count,
  sum,
  min,
  max,
});

describe('compareAggregates', () => {
  const truth = new Map([
    ['revenue#country=DE|1m#2026-11-22T10:15:00.000Z', figures(2, '30.5', 10, 20.5)],
    ['events#type=purchase|1m#2026-11-22T10:15:00.000Z', figures(2)],
  ]);

  it('passes when the table holds what was there before plus the run', () => {
    const before = new Map([
      ['revenue#country=DE|1m#2026-11-22T10:15:00.000Z', figures(1, '5', 5, 5)],
    ]);
    const after = new Map([
      ['revenue#country=DE|1m#2026-11-22T10:15:00.000Z', figures(3, '35.5', 5, 20.5)],
      ['events#type=purchase|1m#2026-11-22T10:15:00.000Z', figures(2)],
      ['events#type=purchase|1m#2026-11-22T10:14:00.000Z', figures(9)],
    ]);
    before.set('events#type=purchase|1m#2026-11-22T10:14:00.000Z', figures(9));
    expect(compareAggregates(before, after, truth)).toEqual({
      passed: true,
      checked: 2,
      matching: 2,
      mismatches: [],
    });
  });

  it('reports a double-counted event, a missing item and traffic from elsewhere', () => {
    const after = new Map([
      ['revenue#country=DE|1m#2026-11-22T10:15:00.000Z', figures(3, '51', 10, 20.5)],
      ['page_views#*|1m#2026-11-22T10:15:00.000Z', figures(4)],
    ]);
    const result = compareAggregates(new Map(), after, truth);
    expect(result.passed).toBe(false);
    expect(result.mismatches.map((m) => m.reason)).toEqual([
      'count is 3, expected 2',
      'missing from the table',
      'changed although this run wrote nothing to it: another producer is writing',
    ]);
    // Counts only grow: too many or foreign writes are final, a missing item may still come.
    expect(result.mismatches.map((m) => m.final)).toEqual([true, false, true]);
    expect(result.matching).toBe(0);
  });

  it('counts items still behind as pending, and a wrong figure over all events as final', () => {
    const after = new Map([
      ['revenue#country=DE|1m#2026-11-22T10:15:00.000Z', figures(2, '30', 10, 20.5)],
      ['events#type=purchase|1m#2026-11-22T10:15:00.000Z', figures(1)],
    ]);
    const result = compareAggregates(new Map(), after, truth);
    expect(result.mismatches.map((m) => [m.reason, m.final])).toEqual([
      ['sum is 30, expected 30.5', true],
      ['count is 1, expected 2', false],
    ]);
  });

  it('compares sums exactly, in decimal, whatever notation they are written in', () => {
    const exact = new Map([['k|1m#x', figures(2, '0.3', 0.1, 0.2)]]);
    const stored = (sum: string) => new Map([['k|1m#x', figures(2, sum, 0.1, 0.2)]]);
    expect(compareAggregates(new Map(), stored('0.30'), exact).passed).toBe(true);
    expect(compareAggregates(new Map(), stored('3E-1'), exact).passed).toBe(true);
    expect(
      compareAggregates(new Map(), stored('0.30000000000000004'), exact).mismatches[0]?.reason,
    ).toBe('sum is 0.30000000000000004, expected 0.3');
  });

  it('passes a table that summed 0.1 and 0.2 to 0.3 against the ground truth of those events', () => {
    // Prepare: the ground truth of two purchases, and a table holding DynamoDB's exact sum
    const truth = new GroundTruth(loadConfig());
    const time = '2026-11-22T10:15:30.000Z';
    for (const amount of [0.1, 0.2]) {
      truth.add(sampleEvent('purchase', { time, data: { amount, country: 'DE' } }));
    }
    const key = 'revenue#country=DE|1m#2026-11-22T10:15:00.000Z';
    const want = truth.items.get(key) as AggregateFigures;
    const after = new Map(truth.items);
    // Act
    const result = compareAggregates(new Map(), after, truth.items);
    const drifted = compareAggregates(
      new Map(),
      new Map([...truth.items, [key, { ...want, sum: String(0.1 + 0.2) }]]),
      truth.items,
    );
    // Assess
    expect(want.sum).toBe('0.3');
    expect(result.passed).toBe(true);
    expect(drifted.mismatches.map((m) => m.reason)).toEqual([
      'sum is 0.30000000000000004, expected 0.3',
    ]);
  });
});

describe('waitForAggregates', () => {
  const key = 'events#type=purchase|1m#2026-11-22T10:15:00.000Z';
  const truth = new Map([[key, figures(2)]]);

  it('stops at the first read that shows a count above the expected one', async () => {
    let reads = 0;
    const result = await waitForAggregates({
      read: async () => {
        reads++;
        return new Map([[key, figures(3)]]);
      },
      before: new Map(),
      truth,
      timeoutMs: 600_000,
      pollMs: 1,
    });
    expect({ reads, passed: result.passed, final: result.mismatches[0]?.final }).toEqual({
      reads: 1,
      passed: false,
      final: true,
    });
  });

  it('keeps polling, reporting progress, while counts are still below the expected ones', async () => {
    const seen: string[] = [];
    let reads = 0;
    const result = await waitForAggregates({
      read: async () => new Map([[key, figures(Math.min(2, reads++))]]),
      before: new Map(),
      truth,
      timeoutMs: 600_000,
      pollMs: 1,
      settleMs: 1,
      onPending: (pending) => seen.push(`${pending.matching}/${pending.checked}`),
    });
    expect(result.passed).toBe(true);
    expect(seen).toEqual(['0/1', '0/1']);
  });
});
