import { describe, expect, it } from 'vitest';
import { paddedEvents } from '../../../bench/benchEvents.js';
import {
  type AggregateDelta,
  AggregateFold,
  admissionFrom,
  type FoldableEvent,
  type GroupAdmission,
} from '../../../core/aggregates/AggregateFold.js';
import {
  type AggregationSettings,
  aggregationSettingsOf,
  type CompiledMetric,
  compileMetrics,
} from '../../../core/aggregates/compileMetrics.js';
import { InMemoryGroupRegistry } from '../../../core/aggregates/InMemoryGroupRegistry.js';
import { sequenceOrderKey } from '../../../core/aggregates/sequenceOrder.js';
import { encodeEventLine } from '../../../core/codec/ndjsonCodec.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import { validateEventLine } from '../../../core/events/validateEvent.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import { groupsToAdmit, ReferenceFold } from '../../helpers/ReferenceFold.js';
import { seededRandom } from '../../helpers/seededRandom.js';

/**
 * `AggregateFold` keeps open buckets per (metric, group) slot and remembers
 * group keys; `ReferenceFold` builds every key per event. Both must write the
 * same deltas, item by item and in the same order, with the same refolds.
 */

const config = loadConfig();
const NOW = Date.parse('2026-11-22T10:30:00.000Z');
/** Events per Kinesis record, as the producer packs 500-byte events. */
const EVENTS_PER_RECORD = 50;

/** The shipped metrics, and more shapes: two group fields, two types, an optional value, caps. */
const SETTINGS: AggregationSettings = {
  ...aggregationSettingsOf(config),
  metrics: [
    ...config.metrics,
    {
      name: 'by_country_device',
      maxGroups: 1_000,
      on: 'page_view',
      groupBy: ['data.country', 'data.device'],
      stats: ['count'],
      windows: ['1m', '1d'],
    },
    {
      name: 'view_duration',
      maxGroups: 1_000,
      on: 'page_view',
      value: 'data.durationMs',
      groupBy: ['source'],
      stats: ['count', 'sum', 'min', 'max', 'p90'],
      windows: ['1h'],
    },
    {
      name: 'items_any',
      maxGroups: 1_000,
      on: ['add_to_cart', 'purchase'],
      value: 'data.items',
      groupBy: [],
      stats: ['count', 'sum'],
      windows: ['1m', '1h'],
    },
    {
      name: 'capped_category',
      on: 'add_to_cart',
      value: 'data.price',
      groupBy: ['data.category'],
      maxGroups: 3,
      stats: ['count', 'sum', 'min', 'max', 'p50'],
      windows: ['1m'],
    },
    {
      // Page paths are long (the bench pads them past 400 characters): keys built, not cached.
      name: 'capped_path',
      on: 'page_view',
      groupBy: ['data.path'],
      maxGroups: 50,
      stats: ['count'],
      windows: ['1h'],
    },
    {
      name: 'capped_country',
      on: ['page_view', 'purchase'],
      groupBy: ['data.country'],
      maxGroups: 1,
      stats: ['count'],
      windows: ['1m', '1h'],
    },
  ],
};

/** Category values a group key must encode: spaces, `%`, `=`, `,`, non-ASCII, look-alikes. */
const ODD_CATEGORIES = [
  'a b',
  '50%',
  'k=v',
  'x,y',
  'Ünïcode',
  '__other__',
  '*',
  '1',
  'books ',
  // The bench events' `source` and a country code: one raw value under several labels.
  'bench',
  'DE',
  'x'.repeat(64),
];

/**
 * The bench workload (500-byte sample events, 10 minutes of event time), or
 * with `scatter` event times spread over three days in random order and odd
 * category values, validated as the handler does and numbered by record.
 */
function workload(count: number, seed: number, scatter: boolean): FoldableEvent[] {
  const random = seededRandom(seed);
  let clock = NOW - 600_000;
  const events = paddedEvents(count, {
    seed,
    now: () => {
      if (scatter) return NOW - Math.floor(random() * 3 * 86_400_000);
      clock += 600_000 / count;
      return clock;
    },
  });
  return events.map((event, index) => {
    const line = encodeEventLine(
      scatter && event.type === 'add_to_cart' && random() < 0.3
        ? {
            ...event,
            data: {
              ...event.data,
              category: ODD_CATEGORIES[Math.floor(random() * ODD_CATEGORIES.length)],
            },
          }
        : event,
    )
      .toString('utf8')
      .trimEnd();
    const validated = validateEventLine(line, webShopCatalog, {
      now: NOW,
      maxLatenessMs: 7 * 86_400_000,
      maxFutureSkewMs: 300_000,
    });
    if (!validated.ok) throw new Error(`workload event refused: ${validated.reason.message}`);
    const record = Math.floor(index / EVENTS_PER_RECORD);
    return {
      event: validated.event,
      timeMs: validated.timeMs,
      order: sequenceOrderKey(String(1_000 + record)),
      lineIndex: index % EVENTS_PER_RECORD,
    };
  });
}

/** A delta as plain data, histogram buckets sorted, so two folds compare with `toEqual`. */
function plain(delta: AggregateDelta | undefined): unknown {
  if (delta === undefined) return undefined;
  const { histogram, ...rest } = delta;
  return histogram === undefined
    ? rest
    : { ...rest, histogram: [...histogram].sort(([a], [b]) => (a < b ? -1 : 1)) };
}

interface FoldPair {
  fold: AggregateFold;
  reference: ReferenceFold;
}

function foldBoth(
  metrics: readonly CompiledMetric[],
  events: readonly FoldableEvent[],
  admission?: GroupAdmission,
): FoldPair {
  const fold = new AggregateFold(metrics, admission);
  const reference = new ReferenceFold(metrics, admission);
  for (const item of events) {
    fold.add(item);
    reference.add(item);
  }
  return { fold, reference };
}

/** Compares deltas item by item, then refolds of a sample of items after several positions. */
function expectSameWrites({ fold, reference }: FoldPair, seed: number): void {
  const deltas = [...fold.deltas()];
  const expected = [...reference.deltas()];
  expect(deltas.length).toBeGreaterThan(0);
  expect(deltas.map(plain)).toEqual(expected.map(plain));
  expect(fold.eventCount).toBe(reference.eventCount);
  expect(fold.unresolvedFirstOrder).toBe(reference.unresolvedFirstOrder);

  const random = seededRandom(seed);
  for (let i = 0; i < 60; i++) {
    const delta = deltas[Math.floor(random() * deltas.length)] as AggregateDelta;
    // Before the first record, inside the item's range, and past its last record.
    for (const after of [
      sequenceOrderKey('999'),
      delta.firstOrder,
      sequenceOrderKey(String(1_000 + Math.floor(random() * 220))),
      delta.lastOrder,
    ]) {
      expect(plain(fold.refold(delta, after))).toEqual(plain(reference.refold(delta, after)));
    }
  }
}

describe('AggregateFold against the plain fold', () => {
  const metrics = compileMetrics(SETTINGS);

  it('writes the same deltas on the bench workload', () => {
    expectSameWrites(foldBoth(metrics, workload(10_000, 11, false)), 1);
  });

  it('writes the same deltas with event times out of order over three days and odd groups', () => {
    expectSameWrites(foldBoth(metrics, workload(6_000, 23, true)), 2);
  });

  it('writes the same deltas under group caps, with groups past a cap in the other group', async () => {
    const events = workload(6_000, 31, true);
    const registry = new InMemoryGroupRegistry();
    const admitted = new Map<string, ReadonlySet<string>>();
    for (const metric of metrics) {
      if (metric.maxGroups === undefined) continue;
      admitted.set(
        metric.name,
        await registry.admit(metric.name, metric.maxGroups, groupsToAdmit(metric, events)),
      );
    }
    const pair = foldBoth(metrics, events, admissionFrom(admitted));
    expect([...pair.fold.deltas()].some((d) => d.group === '__other__')).toBe(true);
    expectSameWrites(pair, 3);
  });

  it('leaves out the same events when a cap cannot be decided, and names the same record', () => {
    const events = workload(3_000, 41, true);
    // Only capped_country decided: capped_category's events are left out for a retry.
    const admission = admissionFrom(new Map([['capped_country', new Set(['country=DE'])]]));
    const pair = foldBoth(metrics, events, admission);
    expect(pair.fold.unresolvedFirstOrder).toBeDefined();
    expectSameWrites(pair, 4);
  });

  it('writes the same deltas when caps are decided after folding (regrouped), from recalled events', async () => {
    const events = workload(6_000, 61, true);
    const registry = new InMemoryGroupRegistry();
    // Folded first with every group kept, as the handler folds records as it reads them.
    const early = new AggregateFold(metrics, undefined, () => events);
    for (const item of events) early.add(item);
    const admitted = new Map<string, ReadonlySet<string>>();
    for (const metric of metrics) {
      if (metric.maxGroups === undefined) continue;
      const groups = early.groupsOf(metric);
      expect(groups).toEqual(groupsToAdmit(metric, events));
      admitted.set(metric.name, await registry.admit(metric.name, metric.maxGroups, groups));
    }
    const admission = admissionFrom(admitted);
    const reference = new ReferenceFold(metrics, admission);
    for (const item of events) reference.add(item);
    expectSameWrites({ fold: early.regrouped(admission), reference }, 6);
  });

  it('leaves out the same events when a cap is undecided after folding (regrouped)', () => {
    const events = workload(3_000, 71, true);
    const early = new AggregateFold(metrics, undefined, () => events);
    for (const item of events) early.add(item);
    const admission = admissionFrom(new Map([['capped_category', new Set(['category=books'])]]));
    const reference = new ReferenceFold(metrics, admission);
    for (const item of events) reference.add(item);
    const regrouped = early.regrouped(admission);
    expect(regrouped.unresolvedFirstOrder).toBeDefined();
    expectSameWrites({ fold: regrouped, reference }, 7);
  });

  it('writes the same deltas for a replay that starts in the middle of the batch', () => {
    const events = workload(5_000, 53, false);
    // A replay from the 40th record folds a suffix: the fold must not carry any state over.
    const replayed = events.filter((e) => e.order >= sequenceOrderKey('1040'));
    expectSameWrites(foldBoth(metrics, replayed), 5);
  });
});
