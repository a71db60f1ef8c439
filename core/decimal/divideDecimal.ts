import { formatDecimal } from './formatDecimal.js';
import { parseDecimal } from './parseDecimal.js';

/** DynamoDB's precision, significant digits: what a quotient is rounded to by default. */
export const DECIMAL_QUOTIENT_DIGITS = 38;

/**
 * `dividend / divisor` for a decimal written as text and a positive whole
 * divisor (a count), rounded half to even to `significantDigits`
 * significant digits; exact when the quotient has no more digits than that
 * (`'0.3' / 2` is `'0.15'`). The result in canonical form.
 *
 * @throws {RangeError} when `divisor` is not a positive safe integer, or
 *   `dividend` is not a decimal number
 * @example
 * divideDecimal('10', 4); // '2.5'
 * divideDecimal('1', 3, 5); // '0.33333'
 */
export function divideDecimal(
  dividend: string,
  divisor: number,
  significantDigits: number = DECIMAL_QUOTIENT_DIGITS,
): string {
  if (!(Number.isSafeInteger(divisor) && divisor > 0)) {
    throw new RangeError(`divisor must be a positive whole number (given ${divisor})`);
  }
  const { units, scale } = parseDecimal(dividend);
  if (units === 0n) return '0';
  const negative = units < 0n;
  const numerator = negative ? -units : units;
  const denominator = BigInt(divisor) * 10n ** BigInt(scale);
  // Find e with 10^(d-1) <= numerator·10^e / denominator < 10^d: the quotient's d digits at scale e.
  const low = 10n ** BigInt(significantDigits - 1);
  const high = low * 10n;
  let exponent = significantDigits - digitCount(numerator) + digitCount(denominator);
  let [n, d] = scaledTerms(numerator, denominator, exponent);
  while (n / d >= high) [n, d] = scaledTerms(numerator, denominator, --exponent);
  while (n / d < low) [n, d] = scaledTerms(numerator, denominator, ++exponent);
  let quotient = n / d;
  const twiceRemainder = 2n * (n - quotient * d);
  if (twiceRemainder > d || (twiceRemainder === d && quotient % 2n === 1n)) quotient++;
  const signed = negative ? -quotient : quotient;
  return exponent >= 0
    ? formatDecimal(signed, exponent)
    : formatDecimal(signed * 10n ** BigInt(-exponent), 0);
}

function digitCount(value: bigint): number {
  return value.toString().length;
}

/** Numerator and denominator of `numerator · 10^exponent / denominator`, both whole. */
function scaledTerms(numerator: bigint, denominator: bigint, exponent: number): [bigint, bigint] {
  return exponent >= 0
    ? [numerator * 10n ** BigInt(exponent), denominator]
    : [numerator, denominator * 10n ** BigInt(-exponent)];
}
