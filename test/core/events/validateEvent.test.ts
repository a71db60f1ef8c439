import { describe, expect, it } from 'vitest';
import { MAX_EVENT_ID_LENGTH } from '../../../core/events/envelope.js';
import type { RejectCode } from '../../../core/events/RejectReason.js';
import { validateEventLine, validateEventObject } from '../../../core/events/validateEvent.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import { sampleEvent } from '../../helpers/events.js';

const NOW = Date.parse('2026-11-22T10:00:00Z');
const WINDOW = { now: NOW, maxLatenessMs: 3_600_000, maxFutureSkewMs: 300_000 };

describe('validateEventObject', () => {
  it.each(['page_view', 'add_to_cart', 'purchase'] as const)(
    'accepts a valid %s event and returns its time in ms',
    (type) => {
      // Prepare
      const event = sampleEvent(type, { time: '2026-11-22T10:30:00+01:00' });

      // Act
      const result = validateEventObject(event, webShopCatalog, WINDOW);

      // Assess
      expect(result).toEqual({ ok: true, event, timeMs: Date.parse('2026-11-22T09:30:00Z') });
    },
  );

  it('drops unknown data fields when the payload has extra keys', () => {
    // Prepare
    const event = sampleEvent('page_view');
    (event.data as Record<string, unknown>).extra = 'x';

    // Act
    const result = validateEventObject(event, webShopCatalog);

    // Assess
    expect(result.ok && result.event.data).not.toHaveProperty('extra');
  });

  describe.each<{
    name: string;
    value: unknown;
    code: RejectCode;
    field: string | undefined;
    mentions: string[];
  }>([
    { name: 'null', value: null, code: 'not_an_object', field: undefined, mentions: ['null'] },
    {
      name: 'an array',
      value: [1, 2],
      code: 'not_an_object',
      field: undefined,
      mentions: ['[1,2]'],
    },
    { name: 'a number', value: 42, code: 'not_an_object', field: undefined, mentions: ['42'] },
    {
      name: 'an unknown type',
      value: { ...sampleEvent('purchase'), type: 'signup' },
      code: 'unknown_type',
      field: 'type',
      mentions: ['"signup"'],
    },
    {
      name: 'a string amount',
      value: sampleEvent('purchase', { data: { amount: '12' as unknown as number } }),
      code: 'schema_violation',
      field: 'data.amount',
      mentions: ['data.amount', '"12"'],
    },
    {
      name: 'a negative quantity',
      value: sampleEvent('add_to_cart', { data: { quantity: -3 } }),
      code: 'schema_violation',
      field: 'data.quantity',
      mentions: ['data.quantity', '-3'],
    },
    {
      name: 'a lower-case country',
      value: sampleEvent('page_view', { data: { country: 'de' } }),
      code: 'schema_violation',
      field: 'data.country',
      mentions: ['data.country', '"de"', 'two-letter'],
    },
    {
      name: 'an id with a slash',
      value: sampleEvent('purchase', { id: 'a/b' }),
      code: 'schema_violation',
      field: 'id',
      mentions: ['id:', '"a/b"'],
    },
    {
      name: 'an overlong id',
      value: sampleEvent('purchase', { id: 'a'.repeat(MAX_EVENT_ID_LENGTH + 1) }),
      code: 'schema_violation',
      field: 'id',
      mentions: ['id:'],
    },
    {
      name: 'a time without offset',
      value: sampleEvent('purchase', { time: '2026-11-22T10:00:00' }),
      code: 'schema_violation',
      field: 'time',
      mentions: ['time:', '"2026-11-22T10:00:00"'],
    },
    {
      name: 'a time too far in the past',
      value: sampleEvent('purchase', { time: '2026-11-22T08:59:59.999Z' }),
      code: 'time_out_of_window',
      field: 'time',
      mentions: ['"2026-11-22T08:59:59.999Z"', '2026-11-22T09:00:00.000Z'],
    },
    {
      name: 'a time too far in the future',
      value: sampleEvent('purchase', { time: '2026-11-22T10:05:00.001Z' }),
      code: 'time_out_of_window',
      field: 'time',
      mentions: ['"2026-11-22T10:05:00.001Z"', '2026-11-22T10:05:00.000Z'],
    },
  ])('when given $name', ({ value, code, field, mentions }) => {
    it(`rejects with code ${code} and names the field and value`, () => {
      // Act
      const result = validateEventObject(value, webShopCatalog, WINDOW);

      // Assess
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.reason.code).toBe(code);
      expect(result.reason.field).toBe(field);
      for (const text of mentions) expect(result.reason.message).toContain(text);
    });
  });

  it.each([
    { time: '2026-11-22T09:00:00.000Z', edge: 'earliest' },
    { time: '2026-11-22T10:05:00.000Z', edge: 'latest' },
  ])('accepts a time exactly at the $edge edge of the window', ({ time }) => {
    expect(validateEventObject(sampleEvent('page_view', { time }), webShopCatalog, WINDOW).ok).toBe(
      true,
    );
  });

  it('skips the time check when no window is given', () => {
    // Prepare
    const event = sampleEvent('page_view', { time: '2001-01-01T00:00:00Z' });

    // Act / Assess
    expect(validateEventObject(event, webShopCatalog).ok).toBe(true);
  });

  it('rejects a type inherited from Object.prototype as unknown', () => {
    // Prepare
    const event = { ...sampleEvent('page_view'), type: 'constructor' };

    // Act
    const result = validateEventObject(event, webShopCatalog);

    // Assess
    expect(!result.ok && result.reason.code).toBe('unknown_type');
  });

  it('cuts the quoted value when it is long', () => {
    // Prepare
    const event = sampleEvent('page_view', { data: { path: 'p'.repeat(5_000) } });

    // Act
    const result = validateEventObject(event, webShopCatalog);

    // Assess
    expect(!result.ok && result.reason.message.length).toBeLessThan(300);
    expect(!result.ok && result.reason.message).toContain('…');
  });

  it.each([77, 78, 79, 80, 81, 82])(
    'quotes the first 80 characters of the whole value when a surrogate pair starts at %i',
    (at) => {
      // Prepare
      const path = `${'/'.repeat(at)}😀${'p'.repeat(3_000)}`;
      const event = sampleEvent('page_view', { data: { path } });

      // Act
      const result = validateEventObject(event, webShopCatalog);

      // Assess
      expect(!result.ok && result.reason.message).toContain(
        `(given ${JSON.stringify(path).slice(0, 80)}…)`,
      );
    },
  );
});

describe('validateEventLine', () => {
  it('accepts a valid event line when it parses', () => {
    // Prepare
    const event = sampleEvent('purchase');

    // Act
    const result = validateEventLine(JSON.stringify(event), webShopCatalog);

    // Assess
    expect(result.ok && result.event).toEqual(event);
  });

  it.each(['{"id":', 'not json', '{"a":1}}', ''])(
    'rejects %j with malformed_json quoting the line',
    (line) => {
      // Act
      const result = validateEventLine(line, webShopCatalog);

      // Assess
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.reason.code).toBe('malformed_json');
      expect(result.reason.message).toContain(JSON.stringify(line));
    },
  );

  it("quotes JSON.parse's own message and leaves Error.stackTraceLimit as it was", () => {
    // Prepare
    const line = JSON.stringify(sampleEvent('purchase')).slice(0, 100);
    const limit = Error.stackTraceLimit;
    let expected = '';
    try {
      JSON.parse(line);
    } catch (error) {
      expected = (error as Error).message;
    }

    // Act
    const refused = validateEventLine(line, webShopCatalog);
    const limitAfterRefused = Error.stackTraceLimit;
    const accepted = validateEventLine(JSON.stringify(sampleEvent('purchase')), webShopCatalog);

    // Assess
    expect(expected).not.toBe('');
    expect(!refused.ok && refused.reason.message).toContain(`malformed JSON: ${expected} in `);
    expect(accepted.ok).toBe(true);
    expect(limitAfterRefused).toBe(limit);
    expect(Error.stackTraceLimit).toBe(limit);
  });
});
