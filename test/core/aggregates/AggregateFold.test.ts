import { describe, expect, it } from 'vitest';
import {
  type AggregateDelta,
  AggregateFold,
  type FoldableEvent,
} from '../../../core/aggregates/AggregateFold.js';
import {
  type AggregationSettings,
  ALL_GROUP,
  compileMetrics,
  fieldReader,
} from '../../../core/aggregates/compileMetrics.js';
import { sequenceOrderKey } from '../../../core/aggregates/sequenceOrder.js';
import { addDecimalStrings } from '../../../core/decimal/addDecimalStrings.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import { sampleEvent } from '../../helpers/events.js';
import { seededRandom } from '../../helpers/seededRandom.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Two metrics over two windows: one with a value, one counting all types without a group. */
const SETTINGS: Pick<AggregationSettings, 'metrics' | 'windows'> = {
  windows: { '1m': { retention: '2d' }, '1h': {} },
  metrics: [
    {
      name: 'revenue',
      on: 'purchase',
      value: 'data.amount',
      groupBy: ['data.country'],
      maxGroups: 1_000,
      stats: ['count', 'sum', 'min', 'max'],
      windows: ['1m', '1h'],
    },
    {
      name: 'all_events',
      on: ['page_view', 'purchase'],
      groupBy: [],
      maxGroups: 1_000,
      stats: ['count'],
      windows: ['1m'],
    },
  ],
};

/** Window sizes and retentions of SETTINGS, written out by hand. */
const WINDOWS = [
  { name: '1m', sizeMs: MINUTE, retentionMs: (2 * DAY) as number | undefined },
  { name: '1h', sizeMs: HOUR, retentionMs: undefined },
];

function foldable(event: StreamfoldEvent, sequenceNumber: string): FoldableEvent {
  return { event, timeMs: Date.parse(event.time), order: sequenceOrderKey(sequenceNumber) };
}

/** The deltas the fold should produce, computed with plain loops. */
function expectedDeltas(
  items: readonly FoldableEvent[],
): Map<string, Omit<AggregateDelta, 'hasValue'>> {
  const out = new Map<string, Omit<AggregateDelta, 'hasValue'>>();
  const add = (
    metric: string,
    group: string,
    window: (typeof WINDOWS)[number],
    value: number,
    item: FoldableEvent,
  ) => {
    const start = item.timeMs - (item.timeMs % window.sizeMs);
    const pk = `${metric}#${group}`;
    const sk = `${window.name}#${new Date(start).toISOString()}`;
    const key = `${pk}|${sk}`;
    const existing = out.get(key);
    if (existing) {
      existing.count += 1;
      existing.sum = addDecimalStrings(existing.sum, String(value));
      existing.min = Math.min(existing.min, value);
      existing.max = Math.max(existing.max, value);
      existing.lastOrder = item.order;
      return;
    }
    out.set(key, {
      pk,
      sk,
      metric,
      group,
      window: window.name,
      bucketStartMs: start,
      expiresAt:
        window.retentionMs === undefined
          ? undefined
          : Math.ceil((start + window.sizeMs + window.retentionMs) / 1_000),
      count: 1,
      sum: String(value),
      min: value,
      max: value,
      firstOrder: item.order,
      lastOrder: item.order,
    });
  };
  for (const item of items) {
    const { event } = item;
    if (event.type === 'purchase') {
      const data = event.data as { amount: number; country: string };
      for (const window of WINDOWS)
        add('revenue', `country=${data.country}`, window, data.amount, item);
    }
    if (event.type === 'page_view' || event.type === 'purchase') {
      add('all_events', '*', WINDOWS[0] as (typeof WINDOWS)[number], 0, item);
    }
  }
  return out;
}

function byKey(deltas: Iterable<AggregateDelta>): Map<string, Omit<AggregateDelta, 'hasValue'>> {
  const out = new Map<string, Omit<AggregateDelta, 'hasValue'>>();
  for (const { hasValue: _, ...delta } of deltas) out.set(`${delta.pk}|${delta.sk}`, delta);
  return out;
}

/** A batch spanning two minutes and two countries, with an ignored type. */
function sampleBatch(): FoldableEvent[] {
  const at = (iso: string) => ({ time: iso });
  const events: [StreamfoldEvent, string][] = [
    [
      sampleEvent('purchase', {
        ...at('2026-11-22T10:15:05Z'),
        data: { amount: 10, country: 'DE' },
      }),
      '100',
    ],
    [sampleEvent('page_view', at('2026-11-22T10:15:06Z')), '100'],
    [
      sampleEvent('purchase', {
        ...at('2026-11-22T10:15:30Z'),
        data: { amount: 2.5, country: 'DE' },
      }),
      '101',
    ],
    [sampleEvent('add_to_cart', at('2026-11-22T10:15:31Z')), '101'],
    [
      sampleEvent('purchase', {
        ...at('2026-11-22T10:16:00Z'),
        data: { amount: 99, country: 'DE' },
      }),
      '102',
    ],
    [
      sampleEvent('purchase', {
        ...at('2026-11-22T10:16:10+00:00'),
        data: { amount: 7, country: 'FR' },
      }),
      '1000',
    ],
    [
      sampleEvent('purchase', {
        ...at('2026-11-22T10:16:59.999Z'),
        data: { amount: 0, country: 'DE' },
      }),
      '1001',
    ],
  ];
  return events.map(([event, sequence]) => foldable(event, sequence));
}

describe('AggregateFold', () => {
  it('produces one delta per metric, group and window bucket when a batch is folded', () => {
    // Prepare
    const fold = new AggregateFold(compileMetrics(SETTINGS));
    const batch = sampleBatch();

    // Act
    for (const item of batch) fold.add(item);

    // Assess
    const actual = byKey(fold.deltas());
    const expected = expectedDeltas(batch);
    expect(actual).toEqual(expected);
    // revenue: DE 10:15, DE 10:16, FR 10:16 per minute + DE 10h, FR 10h; all_events: 10:15, 10:16
    expect(actual.size).toBe(7);
    expect(fold.eventCount).toBe(batch.length);
  });

  it('keeps count, sum, min and max of one bucket when several events fall in it', () => {
    // Prepare
    const fold = new AggregateFold(compileMetrics(SETTINGS));
    const batch = sampleBatch();

    // Act
    for (const item of batch) fold.add(item);

    // Assess
    const hour = byKey(fold.deltas()).get('revenue#country=DE|1h#2026-11-22T10:00:00.000Z');
    expect(hour).toMatchObject({
      count: 4,
      sum: '111.5',
      min: 0,
      max: 99,
      expiresAt: undefined,
      firstOrder: sequenceOrderKey('100'),
      lastOrder: sequenceOrderKey('1001'),
    });
    const minute = byKey(fold.deltas()).get('revenue#country=DE|1m#2026-11-22T10:15:00.000Z');
    expect(minute?.expiresAt).toBe(Date.parse('2026-11-22T10:16:00Z') / 1_000 + 2 * 86_400);
  });

  it('sums two-decimal amounts exactly when 300 purchases fall in one bucket', () => {
    // Prepare: amounts in whole cents, whose binary floating-point sum drifts off the cent
    const fold = new AggregateFold(compileMetrics(SETTINGS));
    const random = seededRandom(1);
    let cents = 0n;
    let floating = 0;
    for (let i = 0; i < 300; i++) {
      const amount = Math.round(random() * 50_000) / 100;
      const event = sampleEvent('purchase', {
        time: '2026-11-22T10:15:30Z',
        data: { amount, country: 'DE' },
      });
      cents += BigInt(Math.round(amount * 100));
      floating += amount;
      // Act
      fold.add(foldable(event, String(100 + i)));
    }

    // Assess: the delta holds the exact total of the cents (72640.19, where doubles make 72640.19000000003)
    const want = `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`.replace(/\.?0+$/, '');
    const hour = byKey(fold.deltas()).get('revenue#country=DE|1h#2026-11-22T10:00:00.000Z');
    expect(hour?.count).toBe(300);
    expect(hour?.sum).toBe(want);
    expect(String(floating)).not.toBe(want);
  });

  it('sums 0.1 and 0.2 to 0.3 when a refold recomputes part of a bucket', () => {
    // Prepare
    const fold = new AggregateFold(compileMetrics(SETTINGS));
    const at = '2026-11-22T10:15:30Z';
    for (const [amount, sequence] of [
      [5, '1'],
      [0.1, '2'],
      [0.2, '3'],
    ] as const) {
      fold.add(
        foldable(sampleEvent('purchase', { time: at, data: { amount, country: 'DE' } }), sequence),
      );
    }
    const delta = [...fold.deltas()].find(
      (d) => d.pk === 'revenue#country=DE' && d.window === '1m',
    ) as AggregateDelta;

    // Act
    const rest = fold.refold(delta, sequenceOrderKey('1'));

    // Assess
    expect(delta.sum).toBe('5.3');
    expect(rest?.sum).toBe('0.3');
  });

  it('marks deltas of value metrics with hasValue when the metric has a value path', () => {
    // Prepare
    const fold = new AggregateFold(compileMetrics(SETTINGS));

    // Act
    for (const item of sampleBatch()) fold.add(item);

    // Assess
    for (const delta of fold.deltas()) expect(delta.hasValue).toBe(delta.metric === 'revenue');
  });

  it('groups by the ALL_GROUP key when the metric has no groupBy', () => {
    // Prepare
    const fold = new AggregateFold(compileMetrics(SETTINGS));

    // Act
    for (const item of sampleBatch()) fold.add(item);

    // Assess
    const groups = [...fold.deltas()].filter((d) => d.metric === 'all_events').map((d) => d.group);
    expect(groups).toEqual([ALL_GROUP, ALL_GROUP]);
  });

  it('does not fold an event when its value is not a finite number', () => {
    // Prepare
    const fold = new AggregateFold(compileMetrics(SETTINGS));
    const event = sampleEvent('purchase', { time: '2026-11-22T10:15:00Z' });
    (event.data as { amount: unknown }).amount = Number.POSITIVE_INFINITY;

    // Act
    fold.add(foldable(event, '1'));

    // Assess: only the count-only metric saw it
    expect([...fold.deltas()].map((d) => d.metric)).toEqual(['all_events']);
  });

  it('encodes group values when they contain separators', () => {
    // Prepare
    const metrics = compileMetrics({
      windows: { '1m': {} },
      metrics: [
        {
          name: 'views',
          on: 'page_view',
          groupBy: ['data.path', 'data.device'],
          maxGroups: 1_000,
          stats: ['count'],
          windows: ['1m'],
        },
      ],
    });
    const fold = new AggregateFold(metrics);

    // Act
    fold.add(
      foldable(sampleEvent('page_view', { data: { path: '/a#b,c=d', device: 'tablet' } }), '1'),
    );

    // Assess
    expect([...fold.deltas()][0]?.group).toBe('path=%2Fa%23b%2Cc%3Dd,device=tablet');
  });

  describe('refold', () => {
    it.each([
      { afterSequence: '99', expectedCount: 4 },
      { afterSequence: '100', expectedCount: 3 },
      { afterSequence: '101', expectedCount: 2 },
      { afterSequence: '999', expectedCount: 1 },
      { afterSequence: '1000', expectedCount: 1 },
    ])(
      'includes only events after sequence $afterSequence when refolding',
      ({ afterSequence, expectedCount }) => {
        // Prepare
        const fold = new AggregateFold(compileMetrics(SETTINGS));
        const batch = sampleBatch();
        for (const item of batch) fold.add(item);
        const delta = [...fold.deltas()].find(
          (d) => d.pk === 'revenue#country=DE' && d.window === '1h',
        ) as AggregateDelta;
        const after = sequenceOrderKey(afterSequence);

        // Act
        const rest = fold.refold(delta, after);

        // Assess
        const remaining = batch.filter((item) => item.order > after);
        const expected = expectedDeltas(remaining).get(`${delta.pk}|${delta.sk}`);
        expect(rest?.count).toBe(expectedCount);
        expect(rest).toMatchObject(expected ?? {});
      },
    );

    it('returns undefined when every contributing event is at or before the order', () => {
      // Prepare
      const fold = new AggregateFold(compileMetrics(SETTINGS));
      for (const item of sampleBatch()) fold.add(item);
      const delta = [...fold.deltas()].find((d) => d.pk === 'revenue#country=FR') as AggregateDelta;

      // Act
      const rest = fold.refold(delta, sequenceOrderKey('1000'));

      // Assess
      expect(rest).toBeUndefined();
    });

    it('returns undefined when the delta names an unknown metric', () => {
      // Prepare
      const fold = new AggregateFold(compileMetrics(SETTINGS));
      for (const item of sampleBatch()) fold.add(item);
      const delta = { ...([...fold.deltas()][0] as AggregateDelta), metric: 'nope' };

      // Act / Assess
      expect(fold.refold(delta, sequenceOrderKey('0'))).toBeUndefined();
    });
  });
});

describe('compileMetrics', () => {
  it('parses window sizes and retentions into ms when compiling', () => {
    // Act
    const [revenue] = compileMetrics(SETTINGS);

    // Assess
    expect(revenue?.windows).toEqual([
      { name: '1m', sizeMs: MINUTE, retentionMs: 2 * DAY },
      { name: '1h', sizeMs: HOUR, retentionMs: undefined },
    ]);
    expect([...(revenue?.types ?? [])]).toEqual(['purchase']);
  });

  it('throws a RangeError naming the text when a window name is not a duration', () => {
    expect(() =>
      compileMetrics({
        windows: {},
        metrics: [
          {
            name: 'x',
            on: 'purchase',
            groupBy: [],
            maxGroups: 1,
            stats: ['count'],
            windows: ['soon'],
          },
        ],
      }),
    ).toThrow(/not a duration: "soon"/);
  });
});

describe('fieldReader', () => {
  it('reads a nested own property when the path exists', () => {
    expect(fieldReader('data.amount')(sampleEvent('purchase', { data: { amount: 5 } }))).toBe(5);
  });

  it.each([
    '__proto__',
    'data.__proto__',
    'constructor',
    'data.constructor.name',
    'toString',
    '__proto__.polluted',
    'data.missing.deeper',
  ])('returns undefined when the path is %s', (path) => {
    // Prepare
    const event = sampleEvent('purchase');

    // Act / Assess
    expect(fieldReader(path)(event)).toBeUndefined();
  });

  it('never reaches Object.prototype when an event parsed from JSON carries a __proto__ key', () => {
    // Prepare: JSON.parse makes __proto__ an own data property, not the prototype
    const event = JSON.parse(
      '{"id":"a","type":"purchase","time":"2026-11-22T10:00:00Z","source":"s","data":{"__proto__":{"amount":3}}}',
    ) as StreamfoldEvent;

    // Act
    const proto = fieldReader('data.__proto__')(event);

    // Assess
    expect(proto).not.toBe(Object.prototype);
    expect(fieldReader('__proto__')(event)).toBeUndefined();
  });
});
