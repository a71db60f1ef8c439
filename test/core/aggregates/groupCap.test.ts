import { describe, expect, it } from 'vitest';
import {
  AggregateFold,
  admissionFrom,
  type FoldableEvent,
} from '../../../core/aggregates/AggregateFold.js';
import { compileMetrics } from '../../../core/aggregates/compileMetrics.js';
import { OTHER_GROUP } from '../../../core/aggregates/GroupRegistry.js';
import { InMemoryGroupRegistry } from '../../../core/aggregates/InMemoryGroupRegistry.js';
import { sequenceOrderKey } from '../../../core/aggregates/sequenceOrder.js';
import { sampleEvent } from '../../helpers/events.js';
import { groupsToAdmit } from '../../helpers/ReferenceFold.js';

const TIME = '2026-11-22T10:15:00Z';
const metrics = compileMetrics({
  windows: { '1h': {} },
  metrics: [
    {
      name: 'cart',
      on: 'add_to_cart',
      value: 'data.quantity',
      groupBy: ['data.category'],
      maxGroups: 2,
      stats: ['count', 'sum'],
      windows: ['1h'],
    },
    {
      name: 'all',
      on: 'add_to_cart',
      groupBy: [],
      maxGroups: 1,
      stats: ['count'],
      windows: ['1h'],
    },
  ],
});

const cartMetric = metrics[0];
if (!cartMetric) throw new Error('the cart metric is missing');

function cart(category: string, quantity: number, sequence: number): FoldableEvent {
  const event = sampleEvent('add_to_cart', { time: TIME, data: { category, quantity } });
  return { event, timeMs: Date.parse(TIME), order: sequenceOrderKey(String(sequence)) };
}

const EVENTS = [
  cart('books', 1, 1),
  cart('toys', 2, 2),
  cart('books', 3, 3),
  cart('garden', 4, 4),
  cart('tools', 5, 5),
  cart('toys', 6, 6),
];

function figures(fold: AggregateFold): Record<string, { count: number; sum: string }> {
  return Object.fromEntries(
    [...fold.deltas()].map((d) => [`${d.metric}:${d.group}`, { count: d.count, sum: d.sum }]),
  );
}

describe('group cardinality cap in the fold', () => {
  it('keeps the first maxGroups groups and folds the rest into __other__', async () => {
    // Prepare
    const registry = new InMemoryGroupRegistry();
    const admitted = await registry.admit('cart', 2, groupsToAdmit(cartMetric, EVENTS));
    const fold = new AggregateFold(metrics, admissionFrom(new Map([['cart', admitted]])));
    // Act
    for (const item of EVENTS) fold.add(item);
    // Assess
    expect(figures(fold)).toEqual({
      'cart:category=books': { count: 2, sum: '4' },
      'cart:category=toys': { count: 2, sum: '8' },
      [`cart:${OTHER_GROUP}`]: { count: 2, sum: '9' },
      'all:*': { count: 6, sum: '0' },
    });
    expect(fold.unresolvedFirstOrder).toBeUndefined();
  });

  it('routes a group the same way in a later batch, so a replay folds identically', async () => {
    // Prepare
    const registry = new InMemoryGroupRegistry();
    await registry.admit('cart', 2, groupsToAdmit(cartMetric, EVENTS));
    // Act: the replayed part of the batch, groups in another order
    const replay = [EVENTS[4], EVENTS[1], EVENTS[0]] as FoldableEvent[];
    const admitted = await registry.admit('cart', 2, groupsToAdmit(cartMetric, replay));
    // Assess
    expect([...admitted].sort()).toEqual(['category=books', 'category=toys']);
  });

  it('leaves a metric out and names the first record when its admission is unknown', () => {
    // Prepare: no decision for `cart` (the registry could not be reached)
    const fold = new AggregateFold(metrics, admissionFrom(new Map()));
    // Act
    for (const item of EVENTS.slice(2)) fold.add(item);
    // Assess
    expect(Object.keys(figures(fold))).toEqual(['all:*']);
    expect(fold.unresolvedFirstOrder).toBe(EVENTS[2]?.order);
  });

  it('refolds the remainder of a capped item with the same routing', async () => {
    // Prepare
    const registry = new InMemoryGroupRegistry();
    const admitted = await registry.admit('cart', 2, groupsToAdmit(cartMetric, EVENTS));
    const fold = new AggregateFold(metrics, admissionFrom(new Map([['cart', admitted]])));
    for (const item of EVENTS) fold.add(item);
    const other = [...fold.deltas()].find((d) => d.group === OTHER_GROUP);
    // Act: records up to 4 already applied
    const rest = other && fold.refold(other, sequenceOrderKey('4'));
    // Assess: only `tools` (record 5) is left in __other__
    expect(rest).toMatchObject({ group: OTHER_GROUP, count: 1, sum: '5' });
  });
});
