import { formatDecimal } from './formatDecimal.js';
import { parseDecimal } from './parseDecimal.js';

/**
 * A decimal written as text, in canonical form (see `formatDecimal`): how
 * streamfold holds a stored number, whatever notation DynamoDB returned it in.
 *
 * @throws {RangeError} when `text` is not a decimal number
 * @example
 * canonicalDecimal('1E+2'); // '100'
 * canonicalDecimal('-0.50'); // '-0.5'
 */
export function canonicalDecimal(text: string): string {
  const { units, scale } = parseDecimal(text);
  return formatDecimal(units, scale);
}
