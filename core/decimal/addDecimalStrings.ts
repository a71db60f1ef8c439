import { formatDecimal } from './formatDecimal.js';
import { parseDecimal } from './parseDecimal.js';

/**
 * `a + b`, exactly, for decimals written as text; the result in canonical form
 * (see `formatDecimal`).
 *
 * @throws {RangeError} when either is not a decimal number
 * @example
 * addDecimalStrings('0.1', '0.2'); // '0.3'
 */
export function addDecimalStrings(a: string, b: string): string {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  const scale = Math.max(x.scale, y.scale);
  return formatDecimal(
    x.units * 10n ** BigInt(scale - x.scale) + y.units * 10n ** BigInt(scale - y.scale),
    scale,
  );
}

/**
 * `a − b`, exactly, for decimals written as text; the result in canonical form.
 * Adding it to `b` gives exactly `a`, where a binary floating-point difference
 * could leave `142.59999999999999` behind.
 *
 * @throws {RangeError} when either is not a decimal number
 * @example
 * subtractDecimalStrings('142.6', '100.1'); // '42.5'
 */
export function subtractDecimalStrings(a: string, b: string): string {
  return addDecimalStrings(a, b.startsWith('-') ? b.slice(1) : `-${b.replace(/^\+/, '')}`);
}
