import { describe, expect, it } from 'vitest';
import type { AggregateFigures } from '../../core/aggregates/GroundTruth.js';
import { compareAggregates } from '../../load/verifyAggregates.js';

const figures = (count: number, sum?: number, min?: number, max?: number): AggregateFigures => ({
  count,
  sum,
  min,
  max,
});

describe('compareAggregates', () => {
  const truth = new Map([
    ['revenue#country=DE|1m#2026-11-22T10:15:00.000Z', figures(2, 30.5, 10, 20.5)],
    ['events#type=purchase|1m#2026-11-22T10:15:00.000Z', figures(2)],
  ]);

  it('passes when the table holds what was there before plus the run', () => {
    const before = new Map([
      ['revenue#country=DE|1m#2026-11-22T10:15:00.000Z', figures(1, 5, 5, 5)],
    ]);
    const after = new Map([
      ['revenue#country=DE|1m#2026-11-22T10:15:00.000Z', figures(3, 35.5, 5, 20.5)],
      ['events#type=purchase|1m#2026-11-22T10:15:00.000Z', figures(2)],
      ['events#type=purchase|1m#2026-11-22T10:14:00.000Z', figures(9)],
    ]);
    before.set('events#type=purchase|1m#2026-11-22T10:14:00.000Z', figures(9));
    expect(compareAggregates(before, after, truth)).toEqual({
      passed: true,
      checked: 2,
      mismatches: [],
    });
  });

  it('reports a double-counted event, a missing item and traffic from elsewhere', () => {
    const after = new Map([
      ['revenue#country=DE|1m#2026-11-22T10:15:00.000Z', figures(3, 51, 10, 20.5)],
      ['page_views#*|1m#2026-11-22T10:15:00.000Z', figures(4)],
    ]);
    const result = compareAggregates(new Map(), after, truth);
    expect(result.passed).toBe(false);
    expect(result.mismatches.map((m) => m.reason)).toEqual([
      'count is 3, expected 2',
      'missing from the table',
      'changed although this run wrote nothing to it: another producer is writing',
    ]);
  });

  it('tolerates decimal rounding in sums but not a real difference', () => {
    const exact = new Map([['k|1m#x', figures(1, 0.1 + 0.2, 0.1, 0.2)]]);
    const stored = (sum: number) => new Map([['k|1m#x', figures(1, sum, 0.1, 0.2)]]);
    expect(compareAggregates(new Map(), stored(0.3), exact).passed).toBe(true);
    expect(compareAggregates(new Map(), stored(0.31), exact).mismatches[0]?.reason).toMatch(
      /^sum is 0.31/,
    );
  });
});
