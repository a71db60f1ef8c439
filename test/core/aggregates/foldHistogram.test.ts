import { describe, expect, it } from 'vitest';
import { AggregateFold, type FoldableEvent } from '../../../core/aggregates/AggregateFold.js';
import {
  type AggregationSettings,
  compileMetrics,
} from '../../../core/aggregates/compileMetrics.js';
import { sequenceOrderKey } from '../../../core/aggregates/sequenceOrder.js';
import { summarizeAggregate } from '../../../core/aggregates/summarizeAggregate.js';
import { addDecimalStrings } from '../../../core/decimal/addDecimalStrings.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import { seededRandom } from '../../helpers/seededRandom.js';

const SETTINGS: Pick<AggregationSettings, 'metrics' | 'windows'> = {
  windows: { '1m': {}, '1h': {} },
  metrics: [
    {
      name: 'latency',
      on: 'request',
      value: 'data.ms',
      groupBy: [],
      maxGroups: 1_000,
      stats: ['count', 'p50', 'p99'],
      windows: ['1m', '1h'],
    },
    {
      name: 'spend',
      on: 'request',
      value: 'data.ms',
      groupBy: [],
      maxGroups: 1_000,
      stats: ['count', 'sum', 'min', 'max', 'avg'],
      windows: ['1m'],
    },
  ],
};

/** The bucket key of `v`, written out: `z`, `p<i>` or `n<i>` with i = ceil(ln|v| / ln γ). */
function bucketOf(v: number): string {
  if (Math.abs(v) < 1e-9) return 'z';
  const i = Math.ceil(Math.log(Math.abs(v)) / Math.log(1.01 / 0.99));
  return `${v > 0 ? 'p' : 'n'}${i}`;
}

function countsOf(values: readonly number[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(bucketOf(v), (counts.get(bucketOf(v)) ?? 0) + 1);
  return counts;
}

/** One event per value, all in the minute 10:15, one record each. */
function events(values: readonly number[]): FoldableEvent[] {
  return values.map((ms, i) => {
    const event: StreamfoldEvent = {
      id: `e${i}`,
      type: 'request',
      time: `2026-11-22T10:15:${String(i % 60).padStart(2, '0')}.000Z`,
      source: 'test',
      data: { ms },
    };
    return {
      event,
      timeMs: Date.parse(event.time),
      order: sequenceOrderKey(String(1_000 + i)),
    };
  });
}

function foldOf(items: readonly FoldableEvent[]): AggregateFold {
  const fold = new AggregateFold(compileMetrics(SETTINGS));
  for (const item of items) fold.add(item);
  return fold;
}

const random = seededRandom(11);
const VALUES = Array.from({ length: 500 }, () => {
  const roll = random();
  if (roll < 0.05) return 0;
  if (roll < 0.15) return -(10 ** (4 * random()));
  return 10 ** (-3 + 9 * random());
});

describe('AggregateFold histograms', () => {
  it('carries the bucket count of every value for metrics with a percentile, in every window', () => {
    // Act
    const deltas = [...foldOf(events(VALUES)).deltas()].filter((d) => d.metric === 'latency');
    // Assess
    expect(deltas.map((d) => d.window).sort()).toEqual(['1h', '1m']);
    for (const delta of deltas) {
      expect(delta.histogram).toEqual(countsOf(VALUES));
      expect([...(delta.histogram?.values() ?? [])].reduce((a, b) => a + b, 0)).toBe(delta.count);
    }
  });

  it('carries no histogram for metrics without a percentile', () => {
    const spend = [...foldOf(events(VALUES)).deltas()].find((d) => d.metric === 'spend');
    expect(spend?.count).toBe(VALUES.length);
    expect(spend?.histogram).toBeUndefined();
  });

  it('refolds the bucket counts of exactly the records after a watermark', () => {
    // Prepare
    const items = events(VALUES);
    const fold = foldOf(items);
    const delta = [...fold.deltas()].find((d) => d.metric === 'latency' && d.window === '1m');
    if (!delta) throw new Error('no latency delta');
    const watermark = items[299]?.order as string;
    // Act
    const rest = fold.refold(delta, watermark);
    // Assess
    expect(rest?.count).toBe(200);
    expect(rest?.histogram).toEqual(countsOf(VALUES.slice(300)));
    expect(rest?.firstOrder).toBe(items[300]?.order);
  });
});

describe('summarizeAggregate', () => {
  it('reads percentiles within 1 % of the exact values and avg as sum / count', () => {
    // Prepare
    const sorted = [...VALUES].sort((a, b) => a - b);
    const figures = {
      count: VALUES.length,
      sum: VALUES.reduce((a, b) => addDecimalStrings(a, String(b)), '0'),
      min: sorted[0],
      max: sorted.at(-1),
      buckets: Object.fromEntries(countsOf(VALUES)),
    };
    // Act
    const summary = summarizeAggregate(figures);
    // Assess
    expect(summary.sumDecimal).toBe(figures.sum);
    expect(summary.avg).toBeCloseTo(Number(figures.sum) / figures.count, 9);
    for (const [stat, q] of [
      ['p50', 0.5],
      ['p90', 0.9],
      ['p99', 0.99],
    ] as const) {
      const exact = sorted[Math.floor(q * (sorted.length - 1))] as number;
      expect(Math.abs((summary[stat] as number) - exact), stat).toBeLessThanOrEqual(
        0.01 * Math.abs(exact),
      );
    }
  });

  it('gives sum and avg as exact decimals and as the nearest numbers when the sum is decimal', () => {
    // Act: 0.1 + 0.2 over two events
    const summary = summarizeAggregate({ count: 2, sum: '0.3', min: 0.1, max: 0.2 });
    // Assess: binary floating point would give 0.30000000000000004 and 0.15000000000000002
    expect(summary).toMatchObject({ sum: 0.3, sumDecimal: '0.3', avg: 0.15, avgDecimal: '0.15' });
  });

  it('rounds avgDecimal to 38 significant digits when the quotient does not end', () => {
    const summary = summarizeAggregate({ count: 3, sum: '10', min: 1, max: 5 });
    expect(summary.avgDecimal).toBe(`3.${'3'.repeat(37)}`);
    expect(summary.avg).toBe(10 / 3);
  });

  it('clamps percentiles to the exact min and max', () => {
    // One value of 10: its bucket reports ≈ 9.99, but the exact min and max are 10.
    const summary = summarizeAggregate({
      count: 1,
      sum: '10',
      min: 10,
      max: 10,
      buckets: { [bucketOf(10)]: 1 },
    });
    expect([summary.p50, summary.p90, summary.p99]).toEqual([10, 10, 10]);
  });

  it('leaves percentiles and avg undefined when the item keeps neither', () => {
    const summary = summarizeAggregate({
      count: 3,
      sum: undefined,
      min: undefined,
      max: undefined,
    });
    expect(summary).toEqual({
      count: 3,
      sum: undefined,
      min: undefined,
      max: undefined,
      avg: undefined,
      p50: undefined,
      p90: undefined,
      p99: undefined,
    });
  });
});
