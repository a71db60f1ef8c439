import { subtractDecimalStrings } from '../../core/decimal/addDecimalStrings.js';

/**
 * `a − b` computed exactly in decimal, for numbers written as DynamoDB and
 * `String(number)` write them (`42.5`, `-0.1`, `1e-7`, `1.5e+21`). Adding the
 * result to a stored `b` gives exactly `a`, where a binary floating-point
 * difference could leave `142.59999999999999` behind.
 *
 * @throws {RangeError} when either is not a decimal number
 * @example
 * decimalDifference('142.6', '100.1'); // '42.5'
 */
export function decimalDifference(a: string, b: string): string {
  return subtractDecimalStrings(a, b);
}
