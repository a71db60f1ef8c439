import { z } from 'zod';

/**
 * A parser compiled from a zod schema: given a value, it returns exactly what
 * the schema's `safeParse` returns as `data`, or `undefined` when it does not
 * vouch for the value. `undefined` is not a refusal: zod may still accept the
 * value, so the caller asks zod. No schema this compiler supports outputs
 * `undefined`, which is what makes it free to mean "ask zod".
 */
export type CompiledZodParser = (value: unknown) => unknown;

type Schema = z.core.$ZodType;
type Check = z.core.$ZodCheck<never>;

/**
 * Compiles a zod 4 schema into a plain function by reading its definition
 * (`schema._zod.def`), or returns `undefined` when the schema uses anything the
 * compiler does not model exactly, so that schema stays with zod.
 *
 * Supported: `z.object` in its default strip mode, `z.string` with
 * `min`/`max`/`length`, `regex` and `z.iso.datetime` checks, `z.number` with
 * `gt`/`gte`/`lt`/`lte` and number formats (`int`, `int32`, …), `z.enum`,
 * `.optional()` on an object field, and `z.record(z.string(), z.unknown())`.
 * Anything else (refinements, transforms, defaults, unions, catchall, strict
 * or passthrough objects, coercion, other string formats) gives up.
 *
 * The compiled parser is stricter than zod wherever being exact would cost
 * speed or certainty: it only vouches for plain objects (prototype
 * `Object.prototype`, no own `__proto__` key) and leaves everything else to zod.
 *
 * @example
 * const parse = compileZodParser(z.object({ n: z.number().int() }));
 * parse?.({ n: 1, extra: true }); // { n: 1 }
 * parse?.({ n: 1.5 }); // undefined: zod decides (and refuses)
 */
export function compileZodParser(schema: Schema): CompiledZodParser | undefined {
  // Everything below mirrors zod 4's parsers; another major version is left to zod itself.
  if (schema._zod?.version?.major !== 4) return undefined;
  if (schema instanceof z.core.$ZodString) return compileString(schema);
  if (schema instanceof z.core.$ZodNumber) return compileNumber(schema);
  if (schema instanceof z.core.$ZodEnum) return compileEnum(schema);
  if (schema instanceof z.core.$ZodObject) return compileObject(schema);
  if (schema instanceof z.core.$ZodRecord) return compileRecord(schema);
  return undefined;
}

function checksOf(schema: Schema): readonly Check[] {
  return schema._zod.def.checks ?? [];
}

/** Whether `value` is a number zod's bounds compare as written: a NaN bound fails every value. */
function isComparableBound(value: unknown): value is number {
  return typeof value === 'number' && !Number.isNaN(value);
}

function compileString(schema: z.core.$ZodString): CompiledZodParser | undefined {
  if (schema._zod.def.coerce) return undefined;
  // A string format (`z.iso.datetime()`) is itself the first of its checks.
  const checks: Check[] = [...checksOf(schema)];
  if (schema instanceof z.core.$ZodCheck) checks.unshift(schema as Check);
  let minLength = 0;
  let maxLength = Number.POSITIVE_INFINITY;
  const patterns: RegExp[] = [];
  for (const check of checks) {
    if (check instanceof z.core.$ZodCheckMinLength) {
      if (!isComparableBound(check._zod.def.minimum)) return undefined;
      minLength = Math.max(minLength, check._zod.def.minimum);
    } else if (check instanceof z.core.$ZodCheckMaxLength) {
      if (!isComparableBound(check._zod.def.maximum)) return undefined;
      maxLength = Math.min(maxLength, check._zod.def.maximum);
    } else if (check instanceof z.core.$ZodCheckLengthEquals) {
      if (!isComparableBound(check._zod.def.length)) return undefined;
      minLength = Math.max(minLength, check._zod.def.length);
      maxLength = Math.min(maxLength, check._zod.def.length);
    } else if (
      check instanceof z.core.$ZodCheckRegex ||
      // The datetime format's check is its pattern and nothing else (other formats, such as
      // URL or IPv6, run code besides), and zod built that pattern from the format's options.
      check instanceof z.core.$ZodISODateTime
    ) {
      const pattern = check._zod.def.pattern;
      if (!(pattern instanceof RegExp)) return undefined;
      patterns.push(pattern);
    } else {
      return undefined;
    }
  }
  const checksLength = minLength > 0 || maxLength < Number.POSITIVE_INFINITY;
  return (value) => {
    if (typeof value !== 'string') return undefined;
    if (checksLength && !hasCodePointsWithin(value, minLength, maxLength)) return undefined;
    for (const pattern of patterns) {
      // As zod does: a global or sticky pattern would otherwise resume where the last test ended.
      pattern.lastIndex = 0;
      if (!pattern.test(value)) return undefined;
    }
    return value;
  };
}

/**
 * Whether `text` holds between `min` and `max` code points, as zod 4 measures
 * string length (a surrogate pair counts once, a lone surrogate once).
 */
function hasCodePointsWithin(text: string, min: number, max: number): boolean {
  const units = text.length;
  // A code point is one or two UTF-16 units, so the unit count alone often settles it.
  if (units <= max && units >= min * 2) return true;
  if (units < min) return false;
  const codePoints = z.core.util.codePointLength(text);
  return codePoints >= min && codePoints <= max;
}

function compileNumber(schema: z.core.$ZodNumber): CompiledZodParser | undefined {
  if (schema._zod.def.coerce) return undefined;
  // `z.int()` and the other number formats are themselves the first of their checks.
  const checks: Check[] = [...checksOf(schema)];
  if (schema instanceof z.core.$ZodCheck) checks.unshift(schema as Check);
  let lower = Number.NEGATIVE_INFINITY;
  let lowerInclusive = true;
  let upper = Number.POSITIVE_INFINITY;
  let upperInclusive = true;
  let safeInteger = false;
  const raiseLower = (bound: number, inclusive: boolean) => {
    if (bound > lower) [lower, lowerInclusive] = [bound, inclusive];
    else if (bound === lower) lowerInclusive &&= inclusive;
  };
  const lowerUpper = (bound: number, inclusive: boolean) => {
    if (bound < upper) [upper, upperInclusive] = [bound, inclusive];
    else if (bound === upper) upperInclusive &&= inclusive;
  };
  for (const check of checks) {
    if (check instanceof z.core.$ZodCheckGreaterThan) {
      const { value, inclusive } = check._zod.def;
      if (!isComparableBound(value)) return undefined;
      raiseLower(value, inclusive);
    } else if (check instanceof z.core.$ZodCheckLessThan) {
      const { value, inclusive } = check._zod.def;
      if (!isComparableBound(value)) return undefined;
      lowerUpper(value, inclusive);
    } else if (check instanceof z.core.$ZodCheckNumberFormat) {
      const { format } = check._zod.def;
      const range = Object.hasOwn(z.core.util.NUMBER_FORMAT_RANGES, format)
        ? z.core.util.NUMBER_FORMAT_RANGES[format]
        : undefined;
      if (range === undefined) return undefined;
      // zod 4 refuses integers outside ±(2^53 - 1) for every integer format, not only `safeint`.
      if (format.includes('int')) safeInteger = true;
      raiseLower(range[0], true);
      lowerUpper(range[1], true);
    } else {
      return undefined;
    }
  }
  return (value) => {
    // zod 4 refuses NaN and ±Infinity before any check.
    if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
    if (safeInteger && !Number.isSafeInteger(value)) return undefined;
    if (lowerInclusive ? value < lower : value <= lower) return undefined;
    if (upperInclusive ? value > upper : value >= upper) return undefined;
    return value;
  };
}

function compileEnum(schema: z.core.$ZodEnum): CompiledZodParser | undefined {
  if (checksOf(schema).length > 0) return undefined;
  // The set zod itself tests against, which already leaves out a numeric TS enum's reverse keys.
  const values = new Set<unknown>(schema._zod.values);
  if (values.has(undefined)) return undefined;
  return (value) => (values.has(value) ? value : undefined);
}

/** One key of an object shape, compiled. */
interface CompiledField {
  key: string;
  /** The field's schema as the shape holds it (`.optional()` included), which zod runs. */
  schema: Schema;
  parse: CompiledZodParser;
  /** `.optional()`: the key may be absent, or present and `undefined`. */
  optional: boolean;
}

function compileObject(schema: z.core.$ZodObject): CompiledZodParser | undefined {
  const fields = compileFields(schema);
  return fields && generateObjectParser(fields);
}

/** The fields of an object shape in shape order, each compiled, or `undefined` if one is not. */
function compileFields(schema: z.core.$ZodObject): CompiledField[] | undefined {
  const { def } = schema._zod;
  // A catchall is what `.strict()`, `.passthrough()` and `.catchall()` set; only strip mode is modelled.
  if (def.catchall !== undefined || checksOf(schema).length > 0) return undefined;
  const shape = def.shape;
  if (Object.getOwnPropertySymbols(shape).length > 0) return undefined;
  const fields: CompiledField[] = [];
  for (const key of Object.keys(shape)) {
    // zod reads fields with `input[key]` and `key in input`, which see Object.prototype's members
    // (`constructor`, `toString`, `__proto__`); such keys are left to zod.
    if (key in Object.prototype) return undefined;
    const field = shape[key];
    if (field === undefined) return undefined;
    const compiled = compileField(key, field);
    if (compiled === undefined) return undefined;
    fields.push(compiled);
  }
  return fields;
}

/**
 * Writes the parser of an object shape as straight-line code, as zod itself
 * does: stored in a loop under a varying key, the output cost about 0.25 µs an
 * event, more than all the checks together, where a literal costs next to
 * nothing. Returns `undefined` where code generation is disallowed, leaving
 * the schema to zod.
 */
function generateObjectParser(fields: readonly CompiledField[]): CompiledZodParser | undefined {
  const reads = ['if (!isPlainObject(input) || hasOwn(input, "__proto__")) return undefined;'];
  // Keys go into the output in shape order, the order zod's has: the required keys up to the
  // first optional one in a literal, the rest assigned in turn.
  const literal: string[] = [];
  const assignments: string[] = [];
  for (const [i, { key, optional }] of fields.entries()) {
    // A JSON string is a valid JavaScript string literal: keys cannot break out of the code.
    const name = JSON.stringify(key);
    reads.push(`const v${i} = input[${name}];`);
    if (optional) {
      // zod keeps a key that is present with the value `undefined`, and leaves out an absent one.
      reads.push(
        `const has${i} = v${i} !== undefined || ${name} in input;`,
        `const o${i} = v${i} === undefined ? undefined : p${i}(v${i});`,
        `if (v${i} !== undefined && o${i} === undefined) return undefined;`,
      );
      assignments.push(`if (has${i}) output[${name}] = o${i};`);
    } else {
      reads.push(
        `if (v${i} === undefined) return undefined;`,
        `const o${i} = p${i}(v${i});`,
        `if (o${i} === undefined) return undefined;`,
      );
      if (assignments.length === 0) literal.push(`${name}: o${i},`);
      else assignments.push(`output[${name}] = o${i};`);
    }
  }
  const source = [
    '"use strict";',
    'return function parseObject(input) {',
    ...reads,
    `const output = { ${literal.join(' ')} };`,
    ...assignments,
    'return output;',
    '};',
  ].join('\n');
  const parsers = fields.map(({ parse }) => parse);
  let factory: (...args: unknown[]) => CompiledZodParser;
  try {
    factory = new Function(
      'isPlainObject',
      'hasOwn',
      ...parsers.map((_, i) => `p${i}`),
      source,
    ) as typeof factory;
  } catch (error) {
    // Code generation is off (`--disallow-code-generation-from-strings`, a strict CSP): zod stays.
    if (error instanceof EvalError) return undefined;
    throw error;
  }
  return factory(isPlainObject, Object.hasOwn, ...parsers);
}

function compileField(key: string, schema: Schema): CompiledField | undefined {
  const { optin, optout } = schema._zod;
  if (schema instanceof z.core.$ZodOptional) {
    // exactOptional refuses a present `undefined`; a defaulted inner substitutes a value.
    if (schema instanceof z.core.$ZodExactOptional || checksOf(schema).length > 0) return undefined;
    if (optin !== 'optional' || optout !== 'optional') return undefined;
    const inner = schema._zod.def.innerType;
    if (inner._zod.optin !== undefined || inner._zod.optout !== undefined) return undefined;
    const parse = compileZodParser(inner);
    return parse && { key, schema, parse, optional: true };
  }
  // A schema that may be absent without `.optional()` (unknown, defaults, …) is not modelled.
  if (optin !== undefined || optout !== undefined) return undefined;
  const parse = compileZodParser(schema);
  return parse && { key, schema, parse, optional: false };
}

function compileRecord(schema: z.core.$ZodRecord): CompiledZodParser | undefined {
  const { def } = schema._zod;
  if (checksOf(schema).length > 0 || def.mode !== undefined || def.partial) return undefined;
  const { keyType, valueType } = def;
  // Only `z.record(z.string(), z.unknown())`: every string key passes and every value is kept as is.
  const plainStringKeys =
    keyType instanceof z.core.$ZodString &&
    !(keyType instanceof z.core.$ZodCheck) &&
    !keyType._zod.def.coerce &&
    checksOf(keyType).length === 0;
  const anyValue =
    (valueType instanceof z.core.$ZodUnknown || valueType instanceof z.core.$ZodAny) &&
    checksOf(valueType).length === 0;
  if (!plainStringKeys || !anyValue) return undefined;
  return (value) => {
    // zod's record test also looks at `constructor`; an object whose own key shadows it is left to zod.
    if (!isPlainObject(value) || value.constructor !== Object) return undefined;
    // zod refuses a symbol key, as not a string; such values are left to zod.
    if (Object.getOwnPropertySymbols(value).length > 0) return undefined;
    // zod builds a fresh object of the own enumerable keys, in their order, as a spread does.
    const output = { ...value };
    // The spread keeps an own `__proto__` key, which zod leaves out; such values are left to zod.
    return Object.hasOwn(output, '__proto__') ? undefined : output;
  };
}

/**
 * What zod's `safeParse(value, { reportInput: true })` says of a value, cut
 * to what a reject message reads: the output, or the first issue (with the
 * refused input, as `reportInput` asks).
 */
export type ZodVerdict =
  | { success: true; data: unknown }
  | { success: false; issue: z.core.$ZodIssue };

/** {@link zodVerdict} of one schema, compiled by {@link compileZodVerdict}. */
export type CompiledZodVerdict = (value: unknown) => ZodVerdict;

/**
 * {@link ZodVerdict} of `schema` on `value`, as `safeParse(value, { reportInput: true })`
 * reaches it, for a field of an object when `key` is given (the issue's path
 * then starts with it, as zod's object parse writes it). Without the
 * `ZodError` safeParse builds on a failure, nor a message for every issue but
 * the first, which together cost several times the parse: 1.7 µs instead of
 * 8.3 for a string refused by its pattern.
 *
 * @example
 * zodVerdict(z.string().min(2), 'x'); // { success: false, issue: { code: 'too_small', input: 'x', … } }
 */
export function zodVerdict(schema: Schema, value: unknown, key?: string): ZodVerdict {
  // The context safeParse(value, { reportInput: true }) gives the schema and the issue.
  const ctx = { reportInput: true, async: false };
  const result = schema._zod.run({ value, issues: [] }, ctx);
  // As safeParse: an async refinement or transform cannot be run synchronously.
  if (result instanceof Promise) throw new z.core.$ZodAsyncError();
  const first = result.issues[0];
  if (first === undefined) return { success: true, data: result.value };
  if (key !== undefined) {
    // In place, as zod's object parse prefixes the issues of a field.
    (first as { path?: PropertyKey[] }).path = first.path ? [key, ...first.path] : [key];
  }
  return { success: false, issue: z.core.util.finalizeIssue(first, ctx, z.core.config()) };
}

/**
 * Compiles {@link zodVerdict} of `schema` so that, for an object whose fields
 * {@link compileZodParser} all compiles, zod runs only on the fields the
 * compiled parsers do not vouch for: zod's first issue is the first issue of
 * the first field it refuses, in shape order, and a field a compiled parser
 * vouches for is one zod accepts. When zod refuses no field (the compiled
 * parsers were more cautious than zod), and for every other schema, zod runs
 * on the whole value.
 *
 * @example
 * const verdict = compileZodVerdict(z.object({ n: z.number().int(), s: z.string() }));
 * verdict({ n: 1.5, s: 'x' }); // zod runs on `n` alone: { success: false, issue: { path: ['n'], … } }
 */
export function compileZodVerdict(schema: Schema): CompiledZodVerdict {
  const fields =
    schema._zod?.version?.major === 4 && schema instanceof z.core.$ZodObject
      ? compileFields(schema)
      : undefined;
  if (fields === undefined) return (value) => zodVerdict(schema, value);
  return (value) => {
    // zod reads the fields of any non-array object; other objects than JSON's are left to it whole.
    if (!isPlainObject(value)) return zodVerdict(schema, value);
    const input = value as Record<string, unknown>;
    for (const { key, schema: fieldSchema, parse, optional } of fields) {
      const field = input[key];
      // zod's `.optional()` accepts `undefined`, and an absent key contributes nothing.
      if (field === undefined ? optional : parse(field) !== undefined) continue;
      const verdict = zodVerdict(fieldSchema, field, key);
      if (!verdict.success) return verdict;
      // A required key zod accepts absent gets an issue of the object's own; zod writes it.
      if (!optional && !(key in input)) return zodVerdict(schema, value);
    }
    return zodVerdict(schema, value);
  };
}

/** An object as `JSON.parse` builds it: not an array, prototype `Object.prototype`. */
function isPlainObject(value: unknown): value is object {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.getPrototypeOf(value) === Object.prototype
  );
}
