import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  compileZodParser,
  compileZodVerdict,
  type ZodVerdict,
  zodVerdict,
} from '../../../core/events/compileZodParser.js';
import { envelopeSchema } from '../../../core/events/envelope.js';

/** A parse result as text, with `undefined` and -0 spelt out and key order kept. */
function describeOutput(value: unknown): string {
  return JSON.stringify(value, (_, item) =>
    item === undefined ? '(undefined)' : Object.is(item, -0) ? '(-0)' : item,
  );
}

const TIMES = [
  '2026-11-22T10:00:00Z',
  '2026-11-22T10:00:00.123Z',
  '2026-11-22T10:00:00.1234Z',
  '2026-11-22T10:00:00+01:00',
  '2026-11-22T10:00:00-23:59',
  '2026-11-22T10:00:00+24:00',
  '2026-11-22T10:00:00',
  '2026-11-22T10:00',
  '2026-11-22T10:00:00z',
  '2026-11-22t10:00:00Z',
  '2026-11-22T10:00:00Z\n',
  '2024-02-29T00:00:00Z',
  '2023-02-29T00:00:00Z',
  '2000-02-29T00:00:00Z',
  '2100-02-29T00:00:00Z',
  '2026-11-22',
];

const ODD_STRINGS = [
  '',
  'a',
  'ab',
  'abc',
  'abcd',
  'abcde',
  'a\n',
  '😀',
  '😀😀',
  '😀😀😀',
  '😀😀😀😀',
];
const MORE_STRINGS = ['😀😀😀😀a', '😀a', '😀ab', '\ud800\ud800', 'a\ud83d', '\udc00\ud800'];
const NOT_STRINGS = [1, null, undefined, true, ['ab'], { a: 'b' }];
const NUMBERS = [
  0,
  -0,
  1,
  -1,
  1.5,
  5e-324,
  9.999,
  10,
  10.000_000_000_000_002,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  -(2 ** 31) - 1,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 53 - 1,
  2 ** 53,
  -(2 ** 53 - 1),
  -(2 ** 53),
  3.402_823_466_385_288_6e38,
  3.5e38,
  1e308,
  Number.MAX_VALUE,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  '1',
  null,
  undefined,
];

/** A getter, which zod and the compiled parser each read once. */
const withGetter = {
  get a() {
    return 'x';
  },
};
const withHiddenKey = Object.defineProperty({ a: 'x' }, 'hidden', { value: 1, enumerable: false });
const withSymbolKey = { a: 'x', [Symbol('s')]: 1 };

/** Schemas the compiler supports, each with values zod accepts and values it refuses. */
const SUPPORTED_SCHEMAS: readonly { name: string; schema: z.core.$ZodType; values: unknown[] }[] = [
  {
    name: 'a string with min and max length, in code points',
    schema: z.string().min(2).max(4),
    values: [...ODD_STRINGS, ...MORE_STRINGS, ...NOT_STRINGS],
  },
  {
    name: 'a string of exact length',
    schema: z.string().length(3),
    values: [...ODD_STRINGS, ...MORE_STRINGS],
  },
  {
    name: 'a string with a global regex, tested repeatedly',
    schema: z.string().regex(/^a+$/g),
    values: ['a', 'aa', 'aa', 'aaa', 'b', 'a\n', 'aa', ''],
  },
  {
    name: 'a string with two regexes and a bound',
    schema: z
      .string()
      .regex(/^[A-Z]+$/)
      .regex(/^..$/)
      .max(2),
    values: ['DE', 'de', 'DE\n', 'D', 'DEU', ''],
  },
  {
    name: 'an ISO datetime with offset',
    schema: z.iso.datetime({ offset: true }),
    values: TIMES,
  },
  { name: 'an ISO datetime in UTC', schema: z.iso.datetime(), values: TIMES },
  { name: 'an ISO local datetime', schema: z.iso.datetime({ local: true }), values: TIMES },
  { name: 'an ISO datetime in ms', schema: z.iso.datetime({ precision: 3 }), values: TIMES },
  {
    name: 'a string with a datetime check',
    schema: z.string().datetime({ offset: true }).max(25),
    values: TIMES,
  },
  { name: 'a number', schema: z.number(), values: NUMBERS },
  { name: 'a number in (0, 10)', schema: z.number().gt(0).lt(10), values: NUMBERS },
  {
    name: 'a number with an inclusive and an exclusive bound at the same value',
    schema: z.number().gte(0).gt(0).lte(10).lt(10),
    values: NUMBERS,
  },
  { name: 'a number with min and max', schema: z.number().min(-1).max(10), values: NUMBERS },
  { name: 'an int', schema: z.number().int(), values: NUMBERS },
  { name: 'z.int()', schema: z.int().positive(), values: NUMBERS },
  { name: 'an int32', schema: z.int32(), values: NUMBERS },
  { name: 'a uint32', schema: z.uint32(), values: NUMBERS },
  { name: 'a float32', schema: z.float32(), values: NUMBERS },
  { name: 'a float64', schema: z.float64(), values: NUMBERS },
  {
    name: 'an enum',
    schema: z.enum(['mobile', 'tablet']),
    values: ['mobile', 'tablet', 'Mobile', 'desk', '', undefined, 0],
  },
  {
    name: 'an enum of a numeric TypeScript enum, reverse keys left out',
    schema: z.enum({ A: 0, B: 1, 0: 'A', 1: 'B' } as unknown as { A: 0; B: 1 }),
    values: [0, 1, 2, 'A', 'B', '0'],
  },
  {
    name: 'an object with an optional field',
    schema: z.object({ a: z.string(), b: z.number().optional(), c: z.enum(['x']) }),
    values: [
      { a: 'x', c: 'x' },
      { c: 'x', b: 1, a: 'x' },
      { a: 'x', b: undefined, c: 'x' },
      { a: 'x', b: 'y', c: 'x' },
      { a: 'x', c: 'x', extra: true, constructor: 1 },
      { a: 'x' },
      {},
      [],
      null,
      'x',
      { a: undefined, c: 'x' },
      withGetter,
      withHiddenKey,
      new Date(),
    ],
  },
  {
    name: 'a nested object',
    schema: z.object({ inner: z.object({ n: z.number() }), after: z.string() }),
    values: [
      { inner: { n: 1 }, after: 'x' },
      { after: 'x', inner: { n: 1, m: 2 } },
      { inner: { n: '1' }, after: 'x' },
      { inner: [], after: 'x' },
      { inner: null, after: 'x' },
    ],
  },
  {
    name: 'a record of unknown values',
    schema: z.record(z.string(), z.unknown()),
    values: [
      {},
      { b: 1, a: 2, 2: 'two', 1: 'one' },
      { nested: { deep: [1] } },
      withHiddenKey,
      withSymbolKey,
      [],
      [1],
      null,
      'x',
    ],
  },
  {
    name: 'the event envelope',
    schema: envelopeSchema,
    values: [
      { id: 'a-1', type: 't', time: TIMES[0], source: 's', data: {} },
      { data: { x: 1 }, source: 's', time: TIMES[3], type: 't', id: 'a_1', extra: 1 },
      { id: 'a/1', type: 't', time: TIMES[0], source: 's', data: {} },
      { id: 'a-1', type: '', time: TIMES[0], source: 's', data: {} },
      { id: 'a-1', type: 't', time: TIMES[6], source: 's', data: {} },
      { id: 'a-1', type: 't', time: TIMES[0], source: 's', data: [] },
    ],
  },
];

describe('compileZodParser', () => {
  describe.each(SUPPORTED_SCHEMAS)('for $name', ({ schema, values }) => {
    const parse = compileZodParser(schema);

    it('compiles', () => {
      expect(parse).toBeTypeOf('function');
    });

    it.each(values.map((value) => ({ value, shown: String(describeOutput(value)).slice(0, 40) })))(
      'returns what zod returns, or leaves to zod what it refuses: $shown',
      ({ value }) => {
        // Act
        const expected = z.safeParse(schema, value);
        const actual = parse?.(value);

        // Assess
        if (actual === undefined) expect(expected.success).toBe(false);
        else expect(describeOutput(actual)).toBe(describeOutput(expected.data));
      },
    );
  });

  describe('leaves to zod what it does not vouch for, although zod accepts it', () => {
    const schema = z.object({ a: z.string() });
    const record = z.record(z.string(), z.unknown());

    it.each<{ name: string; schema: z.core.$ZodType; value: unknown }>([
      {
        name: 'an object without prototype',
        schema,
        value: Object.assign(Object.create(null), { a: 'x' }),
      },
      {
        name: 'a class instance',
        schema,
        value: new (class {
          a = 'x';
        })(),
      },
      { name: 'an own __proto__ key', schema, value: JSON.parse('{"__proto__":{"b":1},"a":"x"}') },
      {
        name: 'an own __proto__ key in a record',
        schema: record,
        value: JSON.parse('{"__proto__":1}'),
      },
      { name: 'a constructor key in a record', schema: record, value: { constructor: 1 } },
    ])('$name', ({ schema: target, value }) => {
      // Act
      const parse = compileZodParser(target);

      // Assess
      expect(z.safeParse(target, value).success).toBe(true);
      expect(parse?.(value)).toBeUndefined();
    });
  });

  describe('gives up on what it does not model', () => {
    it.each<{ name: string; schema: z.core.$ZodType }>([
      { name: 'a refined string', schema: z.string().refine((s) => s !== 'x') },
      { name: 'a custom check', schema: z.string().check(() => undefined) },
      { name: 'a trimmed string', schema: z.string().trim() },
      { name: 'a lower-cased string', schema: z.string().toLowerCase() },
      { name: 'a lower-case check', schema: z.string().lowercase() },
      { name: 'a startsWith check', schema: z.string().startsWith('a') },
      { name: 'an email', schema: z.email() },
      { name: 'an email check', schema: z.string().email() },
      { name: 'a URL', schema: z.url() },
      { name: 'a UUID', schema: z.uuid() },
      { name: 'an ISO date', schema: z.iso.date() },
      { name: 'a coerced string', schema: z.coerce.string() },
      { name: 'a coerced number', schema: z.coerce.number() },
      { name: 'a multipleOf check', schema: z.number().multipleOf(2) },
      { name: 'a NaN bound', schema: z.number().min(Number.NaN) },
      { name: 'a refined number', schema: z.number().refine((n) => n > 0) },
      { name: 'a bigint', schema: z.bigint() },
      { name: 'a boolean', schema: z.boolean() },
      { name: 'a literal', schema: z.literal('a') },
      { name: 'a union', schema: z.union([z.string(), z.number()]) },
      { name: 'a transform', schema: z.string().transform((s) => s.length) },
      { name: 'a pipe', schema: z.string().pipe(z.string()) },
      { name: 'a default', schema: z.string().default('x') },
      { name: 'a catch', schema: z.string().catch('x') },
      { name: 'a readonly', schema: z.object({ a: z.string() }).readonly() },
      { name: 'an array', schema: z.array(z.string()) },
      { name: 'an optional at the top', schema: z.string().optional() },
      { name: 'a strict object', schema: z.object({ a: z.string() }).strict() },
      { name: 'a passthrough object', schema: z.object({ a: z.string() }).passthrough() },
      { name: 'a catchall object', schema: z.object({ a: z.string() }).catchall(z.string()) },
      { name: 'a refined object', schema: z.object({ a: z.string() }).refine((o) => o.a !== '') },
      { name: 'an object with a union', schema: z.object({ a: z.union([z.string(), z.null()]) }) },
      { name: 'an object with a nullable', schema: z.object({ a: z.string().nullable() }) },
      { name: 'an object with a default', schema: z.object({ a: z.string().default('x') }) },
      { name: 'an object with an unknown', schema: z.object({ a: z.unknown() }) },
      { name: 'an object with exactOptional', schema: z.object({ a: z.string().exactOptional() }) },
      {
        name: 'an object with optional optional',
        schema: z.object({ a: z.string().optional().optional() }),
      },
      {
        name: 'an object with a transform',
        schema: z.object({ a: z.string().transform((s) => s) }),
      },
      { name: 'an object with a constructor key', schema: z.object({ constructor: z.string() }) },
      { name: 'an object with a symbol key', schema: z.object({ [Symbol('s')]: z.string() }) },
      { name: 'a record with checked keys', schema: z.record(z.string().min(1), z.unknown()) },
      { name: 'a record with enum keys', schema: z.record(z.enum(['a']), z.unknown()) },
      { name: 'a record with typed values', schema: z.record(z.string(), z.number()) },
      { name: 'a loose record', schema: z.looseRecord(z.string(), z.unknown()) },
      { name: 'a partial record', schema: z.partialRecord(z.string(), z.unknown()) },
      { name: 'a lazy schema', schema: z.lazy(() => z.string()) },
    ])('$name', ({ schema }) => {
      expect(compileZodParser(schema)).toBeUndefined();
    });
  });
});

/** What `safeParse(value, { reportInput: true })` says, as a {@link ZodVerdict}. */
function safeParseVerdict(schema: z.core.$ZodType, value: unknown): ZodVerdict {
  const result = z.safeParse(schema, value, { reportInput: true });
  return result.success
    ? { success: true, data: result.data }
    : { success: false, issue: result.error.issues[0] as z.core.$ZodIssue };
}

/** A verdict as text: the output with `undefined` and -0 spelt out and key order kept, or the issue. */
function describeVerdict(verdict: ZodVerdict): string {
  return verdict.success
    ? `accepted ${describeOutput(verdict.data)}`
    : describeOutput(verdict.issue);
}

/** A shape whose fields fail one by one and together, for the order of the first issue. */
const threeFields = z.object({
  a: z.string().min(2),
  b: z.number().int().optional(),
  c: z.object({ d: z.enum(['x', 'y']), e: z.string().regex(/^[A-Z]$/, 'one capital') }),
});

/** Schemas the compiler gives up on, whose verdicts zod reaches alone. */
const UNSUPPORTED_SCHEMAS: readonly { name: string; schema: z.core.$ZodType; values: unknown[] }[] =
  [
    {
      name: 'a refined object',
      schema: z.object({ n: z.number() }).refine((o) => o.n > 0, 'n must be positive'),
      values: [{ n: 1 }, { n: -1 }, { n: 'x' }, null],
    },
    {
      name: 'an object with a union and a default',
      schema: z.object({ u: z.union([z.string(), z.number()]), d: z.string().default('x') }),
      values: [{ u: 1 }, { u: true }, { u: 's', d: 1 }, {}],
    },
    {
      name: 'a strict object',
      schema: z.object({ a: z.string() }).strict(),
      values: [{ a: 'x' }, { a: 'x', b: 1 }, { a: 1, b: 1 }],
    },
  ];

describe('compileZodVerdict', () => {
  describe.each([
    ...SUPPORTED_SCHEMAS,
    {
      name: 'an object with fields failing one by one and together',
      schema: threeFields,
      values: [
        { a: 'ab', c: { d: 'x', e: 'E' } },
        { a: 'ab', b: 1, c: { d: 'x', e: 'E' }, extra: 1 },
        { a: 'a', c: { d: 'x', e: 'E' } },
        { a: 'a', b: 1.5, c: { d: 'z', e: 'e' } },
        { a: 'ab', b: 1.5, c: { d: 'z', e: 'e' } },
        { a: 'ab', b: undefined, c: { d: 'z', e: 'e' } },
        { a: 'ab', c: { d: 'x', e: 'e' } },
        { a: 'ab', c: { e: 'E' } },
        { a: 'ab', c: null },
        { c: 1 },
        {},
        JSON.parse('{"__proto__":{"a":"ab"},"a":1}'),
        Object.assign(Object.create(null), { a: 'a' }),
      ],
    },
    ...UNSUPPORTED_SCHEMAS,
  ])('for $name', ({ schema, values }) => {
    const verdict = compileZodVerdict(schema);

    it.each(values.map((value) => ({ value, shown: String(describeOutput(value)).slice(0, 40) })))(
      'gives the output or first issue of safeParse with reportInput: $shown',
      ({ value }) => {
        // Act
        const actual = verdict(value);

        // Assess
        expect(describeVerdict(actual)).toBe(describeVerdict(safeParseVerdict(schema, value)));
      },
    );
  });

  describe('when a compiled field parser does not vouch for a field zod accepts', () => {
    // The compiled parser leaves an object with an own __proto__ key to zod, which accepts it.
    const schema = z.object({ inner: z.object({ a: z.string() }), n: z.number() });
    const inner = JSON.parse('{"__proto__":{"b":1},"a":"x"}');

    it('goes on to the fields after it and finds the one zod refuses', () => {
      // Prepare
      const value = { inner, n: '1' };

      // Act
      const actual = verdict(schema, value);

      // Assess
      expect(compileZodParser(schema.shape.inner)?.(inner)).toBeUndefined();
      expect(actual.success === false && actual.issue.path).toEqual(['n']);
      expect(describeVerdict(actual)).toBe(describeVerdict(safeParseVerdict(schema, value)));
    });

    it('accepts the value with the output zod gives when zod refuses no field', () => {
      // Prepare
      const value = { inner, n: 1 };

      // Act
      const actual = verdict(schema, value);

      // Assess
      expect(actual.success).toBe(true);
      expect(describeVerdict(actual)).toBe(describeVerdict(safeParseVerdict(schema, value)));
    });

    function verdict(target: z.core.$ZodType, value: unknown): ZodVerdict {
      return compileZodVerdict(target)(value);
    }
  });
});

describe('zodVerdict', () => {
  it('starts the path of the issue with the key of the field it was given', () => {
    // Act
    const actual = zodVerdict(z.object({ e: z.enum(['x']) }), { e: 'y' }, 'c');

    // Assess
    expect(actual.success === false && actual.issue.path).toEqual(['c', 'e']);
  });

  it('throws as safeParse does for a schema that only runs asynchronously', () => {
    // Prepare
    const schema = z.string().refine(async () => true);

    // Act & Assess
    expect(() => z.safeParse(schema, 'x')).toThrow(z.core.$ZodAsyncError);
    expect(() => zodVerdict(schema, 'x')).toThrow(z.core.$ZodAsyncError);
  });
});
