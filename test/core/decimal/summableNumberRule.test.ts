import { describe, expect, it } from 'vitest';
import { addDecimalStrings } from '../../../core/decimal/addDecimalStrings.js';
import { parseDecimal } from '../../../core/decimal/parseDecimal.js';
import {
  DYNAMODB_NUMBER_LIMITS,
  SUMMABLE_NUMBER_LIMITS,
  summableNumberProblem,
} from '../../../core/decimal/summableNumberRule.js';

/**
 * Amazon DynamoDB Developer Guide, "Supported data types and naming rules in
 * Amazon DynamoDB", Number: "Numbers can be positive, negative, or zero.
 * Numbers can have up to 38 digits of precision. Exceeding this results in an
 * exception. [...] Positive range: 1E-130 to
 * 9.9999999999999999999999999999999999999E+125. Negative range:
 * -9.9999999999999999999999999999999999999E+125 to -1E-130."
 */
const DOCUMENTED = {
  digits: 38,
  smallest: '1E-130',
  largest: '9.9999999999999999999999999999999999999E+125',
};

function significantDigits(text: string): number {
  const { units } = parseDecimal(text);
  return (units < 0n ? -units : units).toString().replace(/0+$/, '').length;
}

describe('DYNAMODB_NUMBER_LIMITS', () => {
  it('holds the limits the Developer Guide documents', () => {
    expect(DYNAMODB_NUMBER_LIMITS.significantDigits).toBe(DOCUMENTED.digits);
    expect(DYNAMODB_NUMBER_LIMITS.minMagnitude).toBe(Number(DOCUMENTED.smallest));
    // The largest has 38 nines; one unit in its last place more is 1E+126, the limit.
    expect(significantDigits(DOCUMENTED.largest)).toBe(38);
    expect(addDecimalStrings(DOCUMENTED.largest, '1E+88')).toBe(`1${'0'.repeat(126)}`);
    expect(DYNAMODB_NUMBER_LIMITS.magnitudeLimit).toBe(1e126);
  });
});

describe('SUMMABLE_NUMBER_LIMITS', () => {
  it('keeps the largest possible sum within 38 significant digits', () => {
    // Prepare: the largest accepted magnitude with the most accepted decimal places
    const { magnitudeLimit, maxDecimalPlaces, valuesPerSum } = SUMMABLE_NUMBER_LIMITS;
    const largest = `${String(magnitudeLimit - 1)}.${'9'.repeat(maxDecimalPlaces)}`;
    // Act: valuesPerSum of them
    const { units, scale } = parseDecimal(largest);
    const sum = (units * BigInt(valuesPerSum)).toString();
    // Assess
    expect(sum.length).toBeLessThanOrEqual(DYNAMODB_NUMBER_LIMITS.significantDigits);
    expect(sum.length + 1).toBeGreaterThan(DYNAMODB_NUMBER_LIMITS.significantDigits);
    expect(scale).toBe(12);
  });
});

describe('summableNumberProblem', () => {
  it.each([
    0, -0, 42.5, 29.99, -1234.56, 1e-12, -1e-12, 1.000000000001, 123456789012.3456,
    99999999999999.98, -99999999999999.98, 9007199254740.99,
  ])('accepts %d', (value) => {
    expect(summableNumberProblem(value)).toBeUndefined();
  });

  it.each([
    [
      5e-324,
      '5e-324 is too small in magnitude for DynamoDB to store exactly (the smallest is 1e-130)',
    ],
    [-5e-324, '-5e-324 is too small in magnitude for DynamoDB to store exactly'],
    [
      1e-131,
      '1e-131 is too small in magnitude for DynamoDB to store exactly (the smallest is 1e-130)',
    ],
    [
      1e126,
      '1e+126 is too large in magnitude for DynamoDB to store (the largest is 9.9999999999999999999999999999999999999E+125)',
    ],
    [
      -1.7976931348623157e308,
      '-1.7976931348623157e+308 is too large in magnitude for DynamoDB to store',
    ],
    [1e14, '100000000000000 is too large to sum exactly: values must lie below 1e14 in magnitude'],
    [-1e14, '-100000000000000 is too large to sum exactly'],
    [1e-13, '1e-13 has 13 decimal places, too many to sum exactly'],
    [1e-130, '1e-130 has 130 decimal places, too many to sum exactly'],
    [0.1234567890123, '0.1234567890123 has 13 decimal places, too many to sum exactly'],
    [0.30000000000000004, '0.30000000000000004 has 17 decimal places, too many to sum exactly'],
  ])('refuses %d, quoting it and the limit', (value, start) => {
    // Act
    const problem = summableNumberProblem(value);
    // Assess
    expect(problem?.startsWith(start), problem).toBe(true);
    expect(problem).toContain(
      'values must lie below 1e14 in magnitude with at most 12 decimal places, so that a sum of 1e12 of them fits DynamoDB',
    );
  });

  it('says what is wrong with NaN and infinities', () => {
    expect(summableNumberProblem(Number.NaN)).toBe('NaN is not a finite number');
    expect(summableNumberProblem(Number.NEGATIVE_INFINITY)).toBe(
      '-Infinity is not a finite number',
    );
  });
});
