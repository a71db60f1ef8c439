import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AggregateFold } from '../../../core/aggregates/AggregateFold.js';
import { aggregationSettingsOf, compileMetrics } from '../../../core/aggregates/compileMetrics.js';
import { GroundTruth } from '../../../core/aggregates/GroundTruth.js';
import { sequenceOrderKey } from '../../../core/aggregates/sequenceOrder.js';
import { validateConfig } from '../../../core/config/validateConfig.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';

/** Optional and nullable fields read by a metric's value and group. */
const config = validateConfig({
  catalog: {
    order: z.object({
      total: z.number().nullable().optional(),
      channel: z.enum(['web', 'app']).optional(),
    }),
  },
  windows: { '1m': {} },
  metrics: [
    {
      name: 'order_total',
      on: 'order',
      value: 'data.total',
      groupBy: ['data.channel'],
      stats: ['count', 'sum', 'min', 'max'],
      windows: ['1m'],
    },
    { name: 'orders', on: 'order', groupBy: ['data.channel'], windows: ['1m'] },
  ],
});

const TIME = '2026-11-29T10:00:30.000Z';
const BUCKET = '1m#2026-11-29T10:00:00.000Z';

function order(id: string, data: Record<string, unknown>): StreamfoldEvent {
  return { id, type: 'order', time: TIME, source: 'test', data };
}

const EVENTS = [
  order('a', { total: 10, channel: 'web' }),
  order('b', { total: null, channel: 'web' }),
  order('c', { channel: 'app' }),
  order('d', { total: 2.5 }),
  order('e', {}),
];

describe('GroundTruth with optional and nullable fields', () => {
  it('counts in a value metric only the events carrying a number, and groups a missing field as empty, as the fold does', () => {
    // Act
    const truth = new GroundTruth(config);
    for (const event of EVENTS) truth.add(event);
    const fold = new AggregateFold(compileMetrics(aggregationSettingsOf(config)));
    for (const [index, event] of EVENTS.entries()) {
      fold.add({ event, timeMs: Date.parse(TIME), order: sequenceOrderKey(String(index + 1)) });
    }
    const folded = new Map(
      [...fold.deltas()].map((delta) => [`${delta.pk}|${delta.sk}`, delta.count]),
    );

    // Assess
    expect(Object.fromEntries([...truth.items].map(([key, item]) => [key, item.count]))).toEqual({
      [`order_total#channel=web|${BUCKET}`]: 1,
      [`order_total#channel=|${BUCKET}`]: 1,
      [`orders#channel=web|${BUCKET}`]: 2,
      [`orders#channel=app|${BUCKET}`]: 1,
      [`orders#channel=|${BUCKET}`]: 2,
    });
    expect(Object.fromEntries(folded)).toEqual(
      Object.fromEntries([...truth.items].map(([key, item]) => [key, item.count])),
    );
    expect(truth.items.get(`order_total#channel=|${BUCKET}`)?.sum).toBe('2.5');
  });
});
