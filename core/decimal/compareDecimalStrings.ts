import { parseDecimal } from './parseDecimal.js';

/**
 * Compares two decimals written as text, exactly: negative when `a < b`, 0
 * when equal (`'1.50'` equals `'1.5'` and `'15E-1'`), positive when `a > b`.
 * Usable as a sort comparator.
 *
 * @throws {RangeError} when either is not a decimal number
 * @example
 * compareDecimalStrings('0.3', '0.30000000000000004'); // -1
 */
export function compareDecimalStrings(a: string, b: string): number {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  const scale = Math.max(x.scale, y.scale);
  const left = x.units * 10n ** BigInt(scale - x.scale);
  const right = y.units * 10n ** BigInt(scale - y.scale);
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * Whether two optional decimals are the same number (both absent counts as the same).
 *
 * @example
 * decimalsEqual('4.50', '4.5'); // true
 */
export function decimalsEqual(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a === b || compareDecimalStrings(a, b) === 0;
}
