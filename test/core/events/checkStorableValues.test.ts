import { describe, expect, it } from 'vitest';
import { compileMetrics } from '../../../core/aggregates/compileMetrics.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import { checkStorableValues, valueSourcesOf } from '../../../core/events/checkStorableValues.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import { validateEventLine } from '../../../core/events/validateEvent.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import { sampleEvent } from '../../helpers/events.js';

/** A metric over a payload field with no range of its own, so only the storable rule limits it. */
const READINGS = compileMetrics({
  windows: { '1m': {} },
  metrics: [
    {
      name: 'reading',
      on: 'reading',
      value: 'data.v',
      groupBy: [],
      maxGroups: 1_000,
      stats: ['count', 'sum', 'min', 'max', 'p50'],
      windows: ['1m'],
    },
    {
      name: 'readings',
      on: 'reading',
      groupBy: [],
      maxGroups: 1_000,
      stats: ['count'],
      windows: ['1m'],
    },
  ],
});

function reading(v: unknown): StreamfoldEvent {
  return { id: 'r1', type: 'reading', time: '2026-11-22T10:15:00Z', source: 'test', data: { v } };
}

describe('checkStorableValues', () => {
  it.each([
    [5e-324, '5e-324 is too small in magnitude for DynamoDB to store exactly'],
    [1e-131, '1e-131 is too small in magnitude for DynamoDB to store exactly'],
    [1e126, '1e+126 is too large in magnitude for DynamoDB to store'],
    [1e14, '100000000000000 is too large to sum exactly'],
    [-1e14, '-100000000000000 is too large to sum exactly'],
    [1e-13, '1e-13 has 13 decimal places, too many to sum exactly'],
    [2.0000000000001, '2.0000000000001 has 13 decimal places'],
  ])('refuses %d as unstorable_number, naming the field and quoting the value', (value, text) => {
    // Act
    const reason = checkStorableValues(reading(value), READINGS);
    // Assess
    expect(reason).toMatchObject({ code: 'unstorable_number', field: 'data.v' });
    expect(reason?.message.startsWith(`data.v: ${text}`), reason?.message).toBe(true);
  });

  it.each([0, -0, 42.5, -7, 1e-12, -1e-12, 99999999999999.98, -99999999999999.98, 2.000000000001])(
    'accepts %d, on the edge of the rule or inside it',
    (value) => {
      expect(checkStorableValues(reading(value), READINGS)).toBeUndefined();
    },
  );

  it('checks only the value paths of metrics on the event type, and only numbers', () => {
    const other = { ...reading(5e-324), type: 'other' };
    expect(checkStorableValues(other, READINGS)).toBeUndefined();
    expect(checkStorableValues(reading(undefined), READINGS)).toBeUndefined();
    expect(checkStorableValues(reading('5e-324'), READINGS)).toBeUndefined();
  });

  it('refuses the 5e-324 purchase that the schema lets through, as the handler validates it', () => {
    // Prepare: the configuration's metrics; data.amount is min(0) in the catalog
    const metrics = compileMetrics(loadConfig());
    const line = JSON.stringify(sampleEvent('purchase')).replace(
      '"amount":42.5',
      '"amount":5e-324',
    );
    // Act
    const validation = validateEventLine(line, webShopCatalog);
    const reason = validation.ok ? checkStorableValues(validation.event, metrics) : undefined;
    // Assess
    expect(validation.ok).toBe(true);
    expect(reason).toMatchObject({ code: 'unstorable_number', field: 'data.amount' });
    expect(reason?.message).toMatch(
      /^data\.amount: 5e-324 is too small in magnitude for DynamoDB to store exactly \(the smallest is 1e-130\); /,
    );
    expect(checkStorableValues(sampleEvent('purchase'), metrics)).toBeUndefined();
  });
});

describe('valueSourcesOf', () => {
  it('checks what compiled metrics check, from the definitions alone', () => {
    // Prepare
    const sources = valueSourcesOf(loadConfig().metrics);
    const cart = sampleEvent('add_to_cart', { data: { quantity: 2 } });
    const bad = sampleEvent('purchase', { data: { amount: 12.3456789012345 } });
    // Act / Assess
    expect(sources.map((s) => s.valuePath)).toEqual(['data.amount', 'data.quantity']);
    expect(checkStorableValues(cart, sources)).toBeUndefined();
    expect(checkStorableValues(bad, sources)?.message).toMatch(
      /^data\.amount: 12\.3456789012345 has 13 decimal places/,
    );
  });
});
