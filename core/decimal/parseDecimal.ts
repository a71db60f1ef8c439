/** A decimal number as an integer and a count of decimal places: `units × 10^-scale`. */
export interface ScaledDecimal {
  units: bigint;
  /** Decimal places, never negative. */
  scale: number;
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Reads a decimal as JavaScript and DynamoDB write numbers: plain (`42.5`,
 * `-0.1`) or with an exponent (`1e-7`, `1.5e+21`, `1E+2`), exactly.
 *
 * @throws {RangeError} when `text` is not a decimal number, naming it
 * @example
 * parseDecimal('-1.25e1'); // { units: -125n, scale: 1 }
 */
export function parseDecimal(text: string): ScaledDecimal {
  const match = DECIMAL.exec(text.trim());
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) {
    throw new RangeError(`not a decimal number: ${JSON.stringify(text)}`);
  }
  const [, sign, whole = '', fraction = '', exponent = '0'] = match;
  let units = BigInt(`${whole}${fraction}` || '0');
  let scale = fraction.length - Number(exponent);
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { units: sign === '-' ? -units : units, scale };
}

/**
 * The decimal a number is written as — the shortest that reads back as the
 * same double, what `String(value)` prints — exactly.
 *
 * @throws {RangeError} for `NaN` and infinities, which have no decimal
 * @example
 * decimalOfNumber(0.1); // { units: 1n, scale: 1 }
 */
export function decimalOfNumber(value: number): ScaledDecimal {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  return parseDecimal(String(value));
}
