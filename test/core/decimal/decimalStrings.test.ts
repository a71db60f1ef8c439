import { describe, expect, it } from 'vitest';
import {
  addDecimalStrings,
  subtractDecimalStrings,
} from '../../../core/decimal/addDecimalStrings.js';
import { canonicalDecimal } from '../../../core/decimal/canonicalDecimal.js';
import {
  compareDecimalStrings,
  decimalsEqual,
} from '../../../core/decimal/compareDecimalStrings.js';
import { divideDecimal } from '../../../core/decimal/divideDecimal.js';
import { formatDecimal, formatScaledNumber } from '../../../core/decimal/formatDecimal.js';
import { parseDecimal } from '../../../core/decimal/parseDecimal.js';

describe('parseDecimal', () => {
  it.each([
    ['42.5', 425n, 1],
    ['-0.1', -1n, 1],
    ['1e-7', 1n, 7],
    ['1.5e+21', 1500000000000000000000n, 0],
    ['1E+2', 100n, 0],
    ['.5', 5n, 1],
    ['7.', 7n, 0],
  ])('reads %s as %d × 10^-%d', (text, units, scale) => {
    expect(parseDecimal(text)).toEqual({ units, scale });
  });

  it.each(['', 'abc', '1e', '--1', '1.2.3', 'NaN', 'Infinity'])(
    'throws a RangeError quoting %j',
    (text) => {
      expect(() => parseDecimal(text)).toThrow(`not a decimal number: ${JSON.stringify(text)}`);
    },
  );
});

describe('formatDecimal and formatScaledNumber', () => {
  it.each([
    [0n, 0, '0'],
    [0n, 5, '0'],
    [-1250n, 3, '-1.25'],
    [5n, 7, '0.0000005'],
    [3941160n, 2, '39411.6'],
    [100n, 0, '100'],
    [-7n, 0, '-7'],
  ])('writes %d × 10^-%d as %s', (units, scale, text) => {
    expect(formatDecimal(units, scale)).toBe(text);
    expect(formatScaledNumber(Number(units), scale)).toBe(text);
  });

  it('writes -0 as 0', () => {
    expect(formatScaledNumber(-0, 2)).toBe('0');
  });
});

describe('canonicalDecimal', () => {
  it.each([
    ['1E+2', '100'],
    ['-0.50', '-0.5'],
    ['-0', '0'],
    ['007.0100', '7.01'],
    ['1.5e-3', '0.0015'],
    ['39411.6', '39411.6'],
  ])('writes %s as %s', (text, canonical) => {
    expect(canonicalDecimal(text)).toBe(canonical);
  });
});

describe('addDecimalStrings and subtractDecimalStrings', () => {
  it.each([
    ['0.1', '0.2', '0.3'],
    ['-0.1', '0.1', '0'],
    ['1E+2', '0.001', '100.001'],
    ['99999999999999999999999999.999999999999', '0.000000000001', '100000000000000000000000000'],
  ])('adds %s and %s to %s', (a, b, sum) => {
    expect(addDecimalStrings(a, b)).toBe(sum);
  });

  it.each([
    ['142.6', '100.1', '42.5'],
    ['1', '-2', '3'],
    ['0', '+0.5', '-0.5'],
    ['1e-7', '1e-7', '0'],
  ])('subtracts %s − %s = %s', (a, b, difference) => {
    expect(subtractDecimalStrings(a, b)).toBe(difference);
  });
});

describe('compareDecimalStrings and decimalsEqual', () => {
  it('orders decimals exactly, whatever their notation', () => {
    expect(compareDecimalStrings('0.3', '0.30000000000000004')).toBe(-1);
    expect(compareDecimalStrings('1.50', '15E-1')).toBe(0);
    expect(compareDecimalStrings('-2', '-10')).toBe(1);
    expect(['10', '-1.5', '2', '1E+1', '0.1'].sort(compareDecimalStrings)).toEqual([
      '-1.5',
      '0.1',
      '2',
      '10',
      '1E+1',
    ]);
  });

  it('treats two absent sums as equal and one absent as different', () => {
    expect(decimalsEqual(undefined, undefined)).toBe(true);
    expect(decimalsEqual('0', undefined)).toBe(false);
    expect(decimalsEqual('4.50', '4.5')).toBe(true);
  });
});

describe('divideDecimal', () => {
  it.each([
    ['10', 4, '2.5'],
    ['0.3', 2, '0.15'],
    ['-0.3', 2, '-0.15'],
    ['0', 7, '0'],
    ['1E+30', 8, '125000000000000000000000000000'],
  ])('divides %s by %d exactly to %s when the quotient ends', (dividend, divisor, quotient) => {
    expect(divideDecimal(dividend, divisor)).toBe(quotient);
  });

  it('rounds to 38 significant digits, half to even, when the quotient does not end', () => {
    expect(divideDecimal('2', 3)).toBe(`0.${'6'.repeat(37)}7`);
    expect(divideDecimal('1', 3, 5)).toBe('0.33333');
    expect(divideDecimal('25', 10, 1)).toBe('2');
    expect(divideDecimal('35', 10, 1)).toBe('4');
    expect(divideDecimal('0.0000125', 1, 2)).toBe('0.000012');
  });

  it('throws a RangeError naming a divisor that is not a positive whole number', () => {
    expect(() => divideDecimal('1', 0)).toThrow('(given 0)');
    expect(() => divideDecimal('1', 1.5)).toThrow('(given 1.5)');
  });
});
