export { addDecimalStrings, subtractDecimalStrings } from './addDecimalStrings.js';
export { canonicalDecimal } from './canonicalDecimal.js';
export { compareDecimalStrings, decimalsEqual } from './compareDecimalStrings.js';
export { DecimalSum } from './DecimalSum.js';
export { decimalScaleOf, MAX_FAST_DECIMAL_SCALE, POWERS_OF_TEN } from './decimalScaleOf.js';
export { DECIMAL_QUOTIENT_DIGITS, divideDecimal } from './divideDecimal.js';
export { formatDecimal, formatScaledNumber } from './formatDecimal.js';
export { decimalOfNumber, parseDecimal, type ScaledDecimal } from './parseDecimal.js';
export {
  DYNAMODB_NUMBER_LIMITS,
  SUMMABLE_NUMBER_LIMITS,
  summableNumberProblem,
} from './summableNumberRule.js';
