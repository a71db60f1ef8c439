import { decimalScaleOf } from './decimalScaleOf.js';
import { decimalOfNumber } from './parseDecimal.js';

/**
 * What DynamoDB stores in a Number (Developer Guide, "Supported data types and
 * naming rules in Amazon DynamoDB"): up to 38 digits of precision, "exceeding
 * this results in an exception"; positive range 1E-130 to
 * 9.9999999999999999999999999999999999999E+125, negative range the mirror
 * image, and zero.
 */
export const DYNAMODB_NUMBER_LIMITS = {
  significantDigits: 38,
  /** Smallest nonzero magnitude. */
  minMagnitude: 1e-130,
  /** Magnitudes from here on are refused; the largest is 9.99…9E+125 (38 nines). */
  magnitudeLimit: 1e126,
} as const;

/**
 * Which metric values streamfold accepts, so that no sum it stores can ever
 * need more than DynamoDB's 38 significant digits — an `ADD` that would is
 * refused, and so would be every update of the item that carries it.
 *
 * A sum needs the digits from its largest magnitude down to the smallest
 * decimal place among its values. With every value below `10^14` in
 * magnitude and with at most 12 decimal places, a sum of up to `10^12`
 * values (one item of one group in one window: a 1-day bucket at 11.5
 * million events per second) lies below `10^12 · 10^14 = 10^26`, so it has
 * at most 26 digits before the point and 12 after it: 26 + 12 = 38. Its
 * magnitude, from 1e-12 up to 1e26, is inside DynamoDB's range too, and so
 * are the values themselves, their min and max. 10^14 leaves room for any
 * amount of money (a hundred trillion) and 12 decimal places for
 * measurements down to pico-units. Zero is always accepted.
 */
export const SUMMABLE_NUMBER_LIMITS = {
  /** Magnitudes from here on are refused. */
  magnitudeLimit: 1e14,
  /** Most decimal places of a value as written. */
  maxDecimalPlaces: 12,
  /** Smallest nonzero magnitude accepted: one unit in the last of those decimal places. */
  minMagnitude: 1e-12,
  /** Values one stored sum is sized for (see above). */
  valuesPerSum: 1e12,
} as const;

/** The rule in words, for reject messages. */
const SUMMABLE_RULE =
  `values must lie below 1e${Math.log10(SUMMABLE_NUMBER_LIMITS.magnitudeLimit)} in magnitude ` +
  `with at most ${SUMMABLE_NUMBER_LIMITS.maxDecimalPlaces} decimal places, so that a sum of ` +
  `1e${Math.log10(SUMMABLE_NUMBER_LIMITS.valuesPerSum)} of them fits DynamoDB's ` +
  `${DYNAMODB_NUMBER_LIMITS.significantDigits} significant digits`;

/**
 * Why `value`, as written (the shortest decimal that reads back as the same
 * double, what `String(value)` prints), cannot be summed into a stored
 * figure, or `undefined` when it can (see {@link SUMMABLE_NUMBER_LIMITS}).
 * The reason quotes the value and says the limit; prefix it with the field.
 *
 * @example
 * summableNumberProblem(42.5); // undefined
 * summableNumberProblem(5e-324); // '5e-324 is too small in magnitude for DynamoDB to store exactly (…)'
 */
export function summableNumberProblem(value: number): string | undefined {
  const magnitude = Math.abs(value);
  // The common case first: one scale lookup, no string.
  const scale = magnitude < SUMMABLE_NUMBER_LIMITS.magnitudeLimit ? decimalScaleOf(value) : -1;
  if (scale >= 0 && scale <= SUMMABLE_NUMBER_LIMITS.maxDecimalPlaces) return undefined;
  if (!Number.isFinite(value)) return `${value} is not a finite number`;
  const text = String(value);
  if (magnitude >= DYNAMODB_NUMBER_LIMITS.magnitudeLimit) {
    return `${text} is too large in magnitude for DynamoDB to store (the largest is 9.9999999999999999999999999999999999999E+125); ${SUMMABLE_RULE}`;
  }
  if (magnitude >= SUMMABLE_NUMBER_LIMITS.magnitudeLimit) {
    return `${text} is too large to sum exactly: ${SUMMABLE_RULE}`;
  }
  if (magnitude !== 0 && magnitude < DYNAMODB_NUMBER_LIMITS.minMagnitude) {
    return `${text} is too small in magnitude for DynamoDB to store exactly (the smallest is 1e-130); ${SUMMABLE_RULE}`;
  }
  const places = scale >= 0 ? scale : decimalOfNumber(value).scale;
  if (places <= SUMMABLE_NUMBER_LIMITS.maxDecimalPlaces) return undefined;
  return `${text} has ${places} decimal places, too many to sum exactly: ${SUMMABLE_RULE}; round it before sending`;
}
