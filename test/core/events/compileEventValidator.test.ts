import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { z as z3 } from 'zod/v3';
import type { EventCatalog } from '../../../core/events/catalog.js';
import {
  compileEventValidator,
  type EventVerdict,
} from '../../../core/events/compileEventValidator.js';
import { envelopeSchema } from '../../../core/events/envelope.js';
import {
  validateEventLine,
  validateEventLineWithFastPath,
  validateEventObject,
} from '../../../core/events/validateEvent.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import { sampleEvent } from '../../helpers/events.js';

/** An event of `type` with `data`, at a fixed time. */
function eventOf(type: string, data: Record<string, unknown>): Record<string, unknown> {
  return { id: 'evt-1', type, time: '2026-11-22T10:00:00Z', source: 'test', data };
}

/** A catalog with one type the compiler supports and three it leaves to zod. */
const mixedCatalog: EventCatalog = {
  plain: z.object({ n: z.number().int() }),
  refined: z.object({ n: z.number() }).refine((data) => data.n > 0, 'n must be positive'),
  union: z.object({ n: z.union([z.number(), z.string()]) }),
  transformed: z.object({ n: z.string().transform((text) => text.length) }),
};

describe('compileEventValidator', () => {
  it('returns the event zod returns, unknown keys stripped, in zod key order', () => {
    // Prepare
    const value = {
      extra: 1,
      data: { country: 'DE', path: '/', campaign: 'x', device: 'mobile' },
      source: 's',
      time: '2026-11-22T10:00:00+01:00',
      type: 'page_view',
      id: 'evt-1',
    };
    const envelope = envelopeSchema.parse(value);
    const expected = { ...envelope, data: webShopCatalog.page_view.parse(envelope.data) };

    // Act
    const event = compileEventValidator(webShopCatalog)(value);

    // Assess
    expect(JSON.stringify(event)).toBe(JSON.stringify(expected));
  });

  it('leaves an unknown type to zod, which names it', () => {
    // Act
    const event = compileEventValidator(webShopCatalog)(eventOf('signup', {}));

    // Assess
    expect(event).toBeUndefined();
  });

  describe.each([
    { type: 'refined', valid: { n: 1 }, invalid: { n: -1 }, output: { n: 1 } },
    { type: 'union', valid: { n: 'one' }, invalid: { n: true }, output: { n: 'one' } },
    { type: 'transformed', valid: { n: 'four' }, invalid: { n: 4 }, output: { n: 4 } },
  ])(
    'for a type whose schema uses a feature it does not model ($type)',
    ({ type, valid, invalid, output }) => {
      const fastPath = compileEventValidator(mixedCatalog);

      it('leaves its events to zod and still vouches for the supported type', () => {
        expect(fastPath(eventOf(type, valid))).toBeUndefined();
        expect(fastPath(eventOf('plain', { n: 1 }))).toEqual(eventOf('plain', { n: 1 }));
      });

      it('validates its events through zod, refinements and transforms included', () => {
        // Act
        const accepted = validateEventLine(JSON.stringify(eventOf(type, valid)), mixedCatalog);
        const refused = validateEventLine(JSON.stringify(eventOf(type, invalid)), mixedCatalog);

        // Assess
        expect(accepted.ok && accepted.event.data).toEqual(output);
        expect(refused).toEqual(
          validateEventLineWithFastPath(
            JSON.stringify(eventOf(type, invalid)),
            mixedCatalog,
            undefined,
            undefined,
          ),
        );
        expect(refused.ok).toBe(false);
      });
    },
  );

  it('follows a catalog edited after its first event, rather than the compiled copy', () => {
    // Prepare
    const catalog: EventCatalog = { ...webShopCatalog };
    const line = JSON.stringify(sampleEvent('page_view', { data: { country: 'DE' } }));
    const before = validateEventLine(line, catalog);
    catalog.page_view = webShopCatalog.page_view.extend({ country: z.literal('FR') });

    // Act
    const after = validateEventLine(line, catalog);

    // Assess
    expect(before.ok).toBe(true);
    expect(!after.ok && after.reason.field).toBe('data.country');
  });

  describe.each<{ name: string; value: () => Record<string, unknown> }>([
    {
      name: 'a class instance',
      value: () => Object.assign(new (class Event {})(), sampleEvent('page_view')),
    },
    {
      name: 'an own __proto__ key',
      value: () =>
        JSON.parse(`{"__proto__":{},${JSON.stringify(sampleEvent('page_view')).slice(1)}`),
    },
    {
      name: 'a symbol key in data',
      value: () => {
        const event = sampleEvent('page_view');
        return { ...event, data: { ...event.data, [Symbol('s')]: 1 } };
      },
    },
    {
      name: 'data without prototype',
      value: () => {
        const event = sampleEvent('page_view');
        return { ...event, data: Object.assign(Object.create(null), event.data) };
      },
    },
  ])('for an object that JSON.parse would not make ($name)', ({ value }) => {
    it('leaves it to zod', () => {
      expect(compileEventValidator(webShopCatalog)(value())).toBeUndefined();
    });

    it('validates it as zod does', () => {
      // Prepare
      const event = value();
      const envelope = envelopeSchema.safeParse(event);
      const data = envelope.success && webShopCatalog.page_view.safeParse(envelope.data.data);

      // Act
      const result = validateEventObject(event, webShopCatalog);

      // Assess
      expect(result.ok).toBe(data !== false && data.success);
      if (!result.ok) expect(result.reason.message).toMatch(/^data\./);
    });
  });

  describe('verdict', () => {
    const validator = compileEventValidator(webShopCatalog);
    const verdictOf = (value: object): EventVerdict => {
      const verdict = validator.verdict?.(value);
      if (verdict === undefined) throw new Error('the compiled validator has no verdict');
      return verdict;
    };
    /** zod's first issue on the value, through safeParse with reportInput. */
    const firstIssue = (schema: z.ZodType, value: unknown) =>
      schema.safeParse(value, { reportInput: true }).error?.issues[0];

    it('gives the envelope issue zod gives first, when the envelope is refused', () => {
      // Prepare
      const value = { ...sampleEvent('page_view'), id: 'not an id!', time: '2026-11-22T10:00:00' };

      // Act
      const verdict = verdictOf(value);

      // Assess
      expect(verdict).toEqual({
        kind: 'envelope_refused',
        issue: firstIssue(envelopeSchema, value),
      });
      expect(verdict.kind === 'envelope_refused' && verdict.issue?.path).toEqual(['id']);
    });

    it('names the type, when the catalog has no such type', () => {
      // Act
      const verdict = verdictOf(eventOf('signup', {}));

      // Assess
      expect(verdict).toEqual({ kind: 'unknown_type', type: 'signup' });
    });

    it('gives the payload issue zod gives first, when the payload is refused', () => {
      // Prepare
      const value = sampleEvent('page_view', {
        data: { country: 'germany', device: 'tv' as unknown as 'mobile' },
      });

      // Act
      const verdict = verdictOf(value);

      // Assess
      expect(verdict).toEqual({
        kind: 'data_refused',
        issue: firstIssue(webShopCatalog.page_view, value.data),
      });
      expect(verdict.kind === 'data_refused' && verdict.issue?.path).toEqual(['country']);
    });

    it.each([
      { name: 'an own __proto__ key in data', extra: '"__proto__":{"country":"xx"}' },
      { name: 'a constructor key in data', extra: '"constructor":1' },
    ])('accepts through zod what only zod vouches for: $name', ({ extra }) => {
      // Prepare
      const line = JSON.stringify(sampleEvent('page_view')).replace(
        '"data":{',
        `"data":{${extra},`,
      );
      const value = JSON.parse(line);
      const envelope = envelopeSchema.parse(value);
      const expected = { ...envelope, data: webShopCatalog.page_view.parse(envelope.data) };

      // Act
      const verdict = verdictOf(value);

      // Assess
      expect(validator(value)).toBeUndefined();
      expect(verdict.kind).toBe('accepted');
      expect(verdict.kind === 'accepted' && JSON.stringify(verdict.event)).toBe(
        JSON.stringify(expected),
      );
    });

    it.each([
      { type: 'refined', data: { n: -1 } },
      { type: 'union', data: { n: true } },
      { type: 'transformed', data: { n: 4 } },
    ])('leaves a payload it does not model to zod whole ($type)', ({ type, data }) => {
      // Prepare
      const schema = mixedCatalog[type] as z.ZodObject;

      // Act
      const verdict = compileEventValidator(mixedCatalog).verdict?.(eventOf(type, data));

      // Assess
      expect(verdict).toEqual({ kind: 'data_refused', issue: firstIssue(schema, data) });
    });
  });
});

describe('a catalog with a schema of another zod major version', () => {
  it('validates every event with safeParse as written, instead of throwing', () => {
    // Prepare: zod 3's object has no `_zod` internals to compile from.
    const catalog = {
      ...webShopCatalog,
      legacy: z3.object({ n: z3.number().int() }) as unknown as z.ZodObject,
    };
    const line = (type: string, data: unknown) =>
      JSON.stringify({ id: 'e1', type, time: '2026-11-22T10:15:00Z', source: 's', data });

    // Act
    const legacyGood = validateEventLine(line('legacy', { n: 2, extra: 1 }), catalog);
    const legacyBad = validateEventLine(line('legacy', { n: 1.5 }), catalog);
    const shipped = validateEventLine(
      line('page_view', { path: '/', country: 'DE', device: 'mobile' }),
      catalog,
    );

    // Assess
    expect(compileEventValidator(catalog)({})).toBeUndefined();
    expect(legacyGood.ok && legacyGood.event.data).toEqual({ n: 2 });
    expect(legacyBad.ok).toBe(false);
    expect(!legacyBad.ok && legacyBad.reason.field).toBe('data.n');
    expect(shipped.ok).toBe(true);
  });
});
