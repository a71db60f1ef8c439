import type { Fuzzer } from './Fuzzer.js';
import { type FuzzValue, JsonEntries, RawJson } from './jsonText.js';

/** Numbers JSON can carry but a float, an integer check or DynamoDB may not. */
const ODD_NUMBERS: readonly string[] = [
  '1e999',
  '-1e999',
  '1E400',
  '-0',
  '0.0',
  '-1',
  '4.9e-324',
  '1e-400',
  '9007199254740993',
  '123456789012345678901234567890123456789012',
  '0.1000000000000000055511151231257827',
  '1.7976931348623157e308',
  '-1.7976931348623157e308',
  '2147483648',
  '1e21',
];

/** Tokens that are not JSON: a body holding one is malformed as a whole. */
const NOT_JSON_TOKENS: readonly string[] = [
  'NaN',
  'Infinity',
  '-Infinity',
  'undefined',
  '0x10',
  '01',
  '.5',
  '+1',
  "'single'",
  '"unterminated',
  '1.',
  '--1',
];

/** Strings that break naive text handling: lone surrogates, controls, separators, markup. */
const ODD_STRINGS: readonly string[] = [
  '',
  ' ',
  '\ud800',
  '\udfff',
  'a\ud800b',
  '\udc00\ud800',
  '\ud83d',
  '\ud83d\ude00',
  '\u0000',
  'x\u0000y',
  '\u0001\u0007\u001b[31m',
  '\r\n',
  '\u2028\u2029',
  '\ufeff',
  '\u202e',
  '\u200b',
  '%00',
  '%',
  '\\',
  '"',
  '<script>alert(1)</script>',
  '=1+1',
  "'; DROP TABLE x; --",
  '../../etc/passwd',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '*',
  '#',
  '|',
  'ÄÖÜ',
  '𝓤𝓷𝓲𝓬𝓸𝓭𝓮',
  'NaN',
  'null',
  'true',
  '1e999',
  '-1',
];

/** Keys that reach `Object.prototype` when code copies members carelessly. */
export const PROTOTYPE_KEYS: readonly string[] = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
];

/** The kinds of replacement {@link weirdValue} draws from, for the report. */
export type WeirdValueKind =
  | 'wrong_type'
  | 'odd_number'
  | 'not_json'
  | 'odd_string'
  | 'long_string'
  | 'deep_nesting'
  | 'prototype_keys'
  | 'duplicate_keys';

/** A replacement value, and whether the body stays valid JSON with it. */
export interface WeirdValue {
  kind: WeirdValueKind;
  value: FuzzValue;
  /** False for tokens that are not JSON: the whole body is then malformed. */
  validJson: boolean;
}

/** Nesting deep enough to overflow a recursive walk, written as text. */
export function deepNesting(
  fuzz: Fuzzer,
  depth = fuzz.pick([33, 64, 500, 5_000, 20_000]),
): RawJson {
  return fuzz.chance(0.5)
    ? new RawJson(`${'['.repeat(depth)}${']'.repeat(depth)}`)
    : new RawJson(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
}

/**
 * A value to put where a valid one was: wrong types, odd numbers, strings
 * that break naive text handling, long strings, deep nesting, keys that
 * reach `Object.prototype`, duplicate keys and, now and then, text that is
 * not JSON.
 */
export function weirdValue(fuzz: Fuzzer): WeirdValue {
  const kind = fuzz.pick<WeirdValueKind>([
    'wrong_type',
    'wrong_type',
    'odd_number',
    'odd_number',
    'not_json',
    'odd_string',
    'odd_string',
    'long_string',
    'deep_nesting',
    'prototype_keys',
    'duplicate_keys',
  ]);
  switch (kind) {
    case 'wrong_type':
      return {
        kind,
        value: fuzz.pick<FuzzValue>([
          null,
          true,
          false,
          0,
          1,
          -1,
          1.5,
          '',
          'x',
          [],
          {},
          [1, 'a'],
          { a: 1 },
        ]),
        validJson: true,
      };
    case 'odd_number':
      return { kind, value: new RawJson(fuzz.pick(ODD_NUMBERS)), validJson: true };
    case 'not_json':
      return { kind, value: new RawJson(fuzz.pick(NOT_JSON_TOKENS)), validJson: false };
    case 'odd_string':
      return { kind, value: fuzz.pick(ODD_STRINGS), validJson: true };
    case 'long_string':
      return {
        kind,
        value: fuzz
          .pick(['x', 'é', '\u0000', '\ud800', '😀', 'ab"\\'])
          .repeat(fuzz.pick([65, 129, 2_049, 20_000])),
        validJson: true,
      };
    case 'deep_nesting':
      return { kind, value: deepNesting(fuzz), validJson: true };
    case 'prototype_keys':
      return {
        kind,
        value: new JsonEntries([
          [
            fuzz.pick(PROTOTYPE_KEYS),
            fuzz.pick<FuzzValue>([{ polluted: 1 }, 1, 'x', null, { prototype: { polluted: 1 } }]),
          ],
        ]),
        validJson: true,
      };
    case 'duplicate_keys':
      return {
        kind,
        value: new JsonEntries([
          ['a', 1],
          ['a', 'two'],
        ]),
        validJson: true,
      };
  }
}

/** A query parameter value no client should send. */
export function absurdParameterValue(fuzz: Fuzzer): string {
  return fuzz.pick([
    () => '99999999999999999999d',
    () => '9999999999999999999999999999999m',
    () => '1e309d',
    () => '-1',
    () => '0',
    () => '-0',
    () => '1e3',
    () => '1.5',
    () => 'NaN',
    () => 'Infinity',
    () => '00000000000000000000010',
    () => '\u0000',
    () => '%00',
    () => '',
    () => ' ',
    () => '\ud800',
    () => '\r\n',
    () => 'x'.repeat(fuzz.pick([1_025, 5_000])),
    () => '2026-02-30T00:00Z',
    () => '9999-12-31T23:59:59.999999999+23:59',
    () => '0000-01-01T00:00Z',
    () => '+275760-09-13T00:00:00Z',
    () => '1970-01-01',
    () => '2026-11-22T10:00',
    () => '15',
    () => '15M',
    () => '1w',
    () => '1h1m',
    () => '__proto__',
    () => 'constructor',
    () => '*',
    () => '=',
    () => '&',
    () => fuzz.pick(ODD_STRINGS),
  ])();
}
