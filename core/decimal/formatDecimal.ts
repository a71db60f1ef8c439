/**
 * Writes `units × 10^-scale` in the canonical form streamfold stores and
 * compares: plain notation (no exponent), no leading zeros before the
 * point but one, no trailing zeros after it, no point for whole numbers, `0`
 * for zero. Equal numbers give equal strings.
 *
 * @example
 * formatDecimal(-1250n, 3); // '-1.25'
 * formatDecimal(5n, 7); // '0.0000005'
 */
export function formatDecimal(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString();
  return withSign(negative, placePoint(digits, scale));
}

/**
 * {@link formatDecimal} for units that are a safe integer, without BigInt.
 *
 * @example
 * formatScaledNumber(3941160, 2); // '39411.6'
 */
export function formatScaledNumber(units: number, scale: number): string {
  const negative = units < 0;
  return withSign(negative, placePoint(String(negative ? -units : units), scale));
}

/** Puts the decimal point `scale` digits from the right of `digits` and trims the zeros. */
function placePoint(digits: string, scale: number): string {
  if (scale <= 0) return digits.replace(/^0+(?=\d)/, '');
  const padded = digits.padStart(scale + 1, '0');
  const whole = padded.slice(0, padded.length - scale).replace(/^0+(?=\d)/, '');
  const fraction = padded.slice(padded.length - scale).replace(/0+$/, '');
  return fraction === '' ? whole : `${whole}.${fraction}`;
}

function withSign(negative: boolean, text: string): string {
  return negative && text !== '0' ? `-${text}` : text;
}
