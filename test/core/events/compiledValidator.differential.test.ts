import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { EventCatalog } from '../../../core/events/catalog.js';
import {
  type CompiledEventValidator,
  compileEventValidator,
} from '../../../core/events/compileEventValidator.js';
import {
  type EventValidation,
  validateEventLine,
  validateEventLineWithFastPath,
} from '../../../core/events/validateEvent.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import { type DifferentialCase, differentialEventCases } from './differentialEventCases.js';

/** Enough to reach every mutation with every edge value many times over. */
const CASE_COUNT = 100_000;
const SEED = 20_261_122;
const cases = differentialEventCases(CASE_COUNT, SEED);

/** Each case validated by zod alone, as {@link describeValidation} writes it. */
let zodResults: string[] = [];

/** A validation as text: `undefined` and -0 spelt out, so a difference in either shows. */
function describeValidation(result: EventValidation): string {
  return JSON.stringify(result, (_, value) =>
    value === undefined ? '(undefined)' : Object.is(value, -0) ? '(-0)' : value,
  );
}

interface Disagreement {
  label: string;
  line: string;
  zod: string;
  tested: string;
}

/**
 * Validates the first `count` cases with `validate` and returns those where
 * it differs from zod alone: accepted or refused, the event (key order
 * included), its time, or the code, field and message of a refusal.
 */
function disagreementsWithZod(
  count: number,
  validate: (line: string, window: DifferentialCase['window']) => EventValidation,
): Disagreement[] {
  const disagreements: Disagreement[] = [];
  for (const [i, { label, line, window }] of cases.slice(0, count).entries()) {
    const zod = zodResults[i] as string;
    const tested = describeValidation(validate(line, window));
    if (zod !== tested) disagreements.push({ label, line, zod, tested });
  }
  return disagreements;
}

/** The first few disagreements, readable in a failure message. */
function summary(disagreements: readonly Disagreement[]): string {
  return disagreements
    .slice(0, 5)
    .map(
      ({ label, line, zod, tested }) =>
        `${label}\n  ${line}\n  zod:    ${zod}\n  tested: ${tested}`,
    )
    .join('\n');
}

describe('compiled event validator, against zod alone', () => {
  beforeAll(() => {
    zodResults = cases.map(({ line, window }) =>
      describeValidation(validateEventLineWithFastPath(line, webShopCatalog, window, undefined)),
    );
  });

  it('generates the cases deterministically and spreads them over outcomes', () => {
    // Prepare
    const again = differentialEventCases(1_000, SEED);
    const outcomes = new Map<string, number>();
    for (const result of zodResults) {
      const { ok, reason } = JSON.parse(result) as { ok: boolean; reason?: { code: string } };
      const outcome = ok ? 'accepted' : (reason?.code ?? '');
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }

    // Assess
    expect(cases.length).toBe(CASE_COUNT);
    expect(again).toEqual(cases.slice(0, 1_000));
    for (const code of [
      'accepted',
      'malformed_json',
      'not_an_object',
      'too_deep',
      'unpaired_surrogate',
      'unknown_type',
      'schema_violation',
      'time_out_of_window',
    ]) {
      expect(outcomes.get(code), code).toBeGreaterThan(100);
    }
  });

  it('gives the same result as zod for every case', () => {
    // Act
    const disagreements = disagreementsWithZod(CASE_COUNT, (line, window) =>
      validateEventLine(line, webShopCatalog, window),
    );

    // Assess
    expect(disagreements.length, summary(disagreements)).toBe(0);
  });

  it('vouches on its own for everything zod accepts but what it hands to zod on purpose', () => {
    // Prepare
    const fastPath = compileEventValidator(webShopCatalog);
    // An own `__proto__` key, and a `constructor` key in `data`, which zod's record test reads.
    const handedOver = /own __proto__|extra data\.constructor/;
    let vouched = 0;
    let handedOverAccepted = 0;
    const leftToZod: string[] = [];

    // Act
    for (const [i, { label, line }] of cases.entries()) {
      if (!(JSON.parse(zodResults[i] as string) as EventValidation).ok) continue;
      if (fastPath(JSON.parse(line.replace(/^\uFEFF/, ''))) !== undefined) vouched++;
      else if (!handedOver.test(label)) leftToZod.push(`${label}: ${line}`);
      // Accepted by the verdict, which runs zod on what the fast path refused (compared above).
      else handedOverAccepted++;
    }

    // Assess
    expect(leftToZod.slice(0, 5)).toEqual([]);
    expect(vouched).toBeGreaterThan(CASE_COUNT / 3);
    expect(handedOverAccepted).toBeGreaterThan(1_000);
  });

  it('refuses as unpaired_surrogate exactly the objects holding one, on both paths', () => {
    // Prepare: the oracle is JSON.stringify, which escapes an unpaired surrogate (`\ud800`) of
    // any key or value, and nothing else as `\ud8..`-`\udf..` (a pair is written as it is).
    const escapedSurrogate = /(?<!\\)(?:\\\\)*\\ud[89a-f]/;
    const wrong: string[] = [];
    let refused = 0;

    // Act
    for (const [i, { label, line }] of cases.entries()) {
      const zod = JSON.parse(zodResults[i] as string) as EventValidation;
      let value: unknown;
      try {
        value = JSON.parse(line.replace(/^\uFEFF/, ''));
      } catch {
        continue;
      }
      const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
      if (!isObject || (!zod.ok && zod.reason.code === 'too_deep')) continue;
      const holds = escapedSurrogate.test(JSON.stringify(value));
      const code = zod.ok ? 'accepted' : zod.reason.code;
      if (holds) refused++;
      if (holds !== (code === 'unpaired_surrogate')) wrong.push(`${label} (${code}): ${line}`);
    }

    // Assess: and the compiled path agrees with zod on each (the test above).
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(refused).toBeGreaterThan(1_000);
  });

  describe('when the compiled validator is weakened', () => {
    /** Enough cases for each weakened check to meet several values it lets through wrongly. */
    const someCases = 20_000;
    const compiled = compileEventValidator(webShopCatalog);

    /** The fast path with a check removed: compiled from a weakened copy of one catalog type. */
    function withPayloadSchema(type: string, schema: z.ZodObject): CompiledEventValidator {
      return compileEventValidator({ ...webShopCatalog, [type]: schema });
    }

    /** The fast path with an envelope field's check bypassed: it sees a valid value instead. */
    function withEnvelopeFieldBypassed(field: string, valid: string): CompiledEventValidator {
      return (value) => {
        if (typeof value !== 'object' || value === null || !(field in value))
          return compiled(value);
        const event = compiled({ ...value, [field]: valid });
        return event && { ...event, [field]: (value as Record<string, unknown>)[field] };
      };
    }

    it.each<{ name: string; fastPath: () => CompiledEventValidator }>([
      {
        name: 'the country pattern dropped',
        fastPath: () =>
          withPayloadSchema('page_view', webShopCatalog.page_view.extend({ country: z.string() })),
      },
      {
        name: 'int dropped from quantity',
        fastPath: () =>
          withPayloadSchema(
            'add_to_cart',
            webShopCatalog.add_to_cart.extend({ quantity: z.number().min(1).max(1_000) }),
          ),
      },
      {
        name: 'the optional durationMs maximum one too high',
        fastPath: () =>
          withPayloadSchema(
            'page_view',
            webShopCatalog.page_view.extend({
              durationMs: z.number().int().min(0).max(86_400_001).optional(),
            }),
          ),
      },
      { name: 'the id check bypassed', fastPath: () => withEnvelopeFieldBypassed('id', 'id-1') },
      {
        name: 'the time format bypassed',
        fastPath: () => withEnvelopeFieldBypassed('time', '2026-11-22T10:00:00Z'),
      },
    ])('reports disagreements with $name', ({ fastPath }) => {
      // Prepare
      const weakened = fastPath();

      // Act
      const disagreements = disagreementsWithZod(someCases, (line, window) =>
        validateEventLineWithFastPath(line, webShopCatalog, window, weakened),
      );

      // Assess
      const okOf = (validation: string): boolean => JSON.parse(validation).ok;
      const wronglyAccepted = disagreements.filter(({ zod, tested }) => !okOf(zod) && okOf(tested));
      expect(wronglyAccepted.length).toBeGreaterThanOrEqual(3);
      // Only what zod refuses can differ: the weakened checks refuse nothing more than zod.
      expect(disagreements.filter(({ zod }) => okOf(zod))).toEqual([]);
    });
  });
});

describe('compiled event validator, for a catalog it compiles only in part, against zod alone', () => {
  /** Enough cases for every field of the two types left to zod to be refused many times. */
  const someCases = 20_000;
  /** A refined payload and a payload with a union field, which the compiler leaves to zod whole. */
  const partlyCompiled: EventCatalog = {
    ...webShopCatalog,
    page_view: webShopCatalog.page_view.refine(
      (data) => data.device !== 'tablet',
      'tablets are counted elsewhere',
    ),
    add_to_cart: webShopCatalog.add_to_cart.extend({
      price: z.union([z.number().min(0).max(1_000_000), z.string().regex(/^\d+$/)]),
    }),
  };

  it('gives the same result as zod for every case', () => {
    // Prepare
    const disagreements: Disagreement[] = [];

    // Act
    for (const { label, line, window } of cases.slice(0, someCases)) {
      const zod = describeValidation(
        validateEventLineWithFastPath(line, partlyCompiled, window, undefined),
      );
      const tested = describeValidation(validateEventLine(line, partlyCompiled, window));
      if (zod !== tested) disagreements.push({ label, line, zod, tested });
    }

    // Assess
    expect(disagreements.length, summary(disagreements)).toBe(0);
  });

  it('refuses through the zod-only schemas, the refinement included', () => {
    // Prepare
    const messages = new Set<string>();

    // Act
    for (const { line, window } of cases.slice(0, someCases)) {
      const result = validateEventLine(line, partlyCompiled, window);
      if (!result.ok && result.reason.field?.startsWith('data'))
        messages.add(result.reason.message);
    }

    // Assess
    const all = [...messages].join('\n');
    expect(all).toContain('tablets are counted elsewhere');
    expect(all).toMatch(/^data\.price: /m);
  });
});
