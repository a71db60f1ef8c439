/** `10^k` for k = 0..22: every one of them is exact as a double. */
export const POWERS_OF_TEN: readonly number[] = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** Most decimal places {@link decimalScaleOf} tries before it gives up. */
export const MAX_FAST_DECIMAL_SCALE = 15;

/**
 * Scaled units stay below this (15 digits): any two different decimals of at
 * most 15 significant digits are different doubles (DBL_DIG), which is what
 * makes the scale found here the one `String(value)` writes.
 */
const FAST_UNITS_LIMIT = 1e15;

/**
 * The number of decimal places of `value` as written — the shortest decimal
 * that reads back as the same double, what `String(value)` prints (values
 * arrive through `JSON.parse`, so `0.1` is the decimal 0.1, not the binary
 * fraction nearest to it) — when that decimal times `10^scale` is an integer
 * below 10^15 in magnitude; `-1` when it is not, and the caller must read the
 * decimal from `String(value)` instead (see `parseDecimal`).
 *
 * It is the smallest `k` with `Math.round(value * 10^k) / 10^k === value`.
 * Why that is the written decimal: at `k` below the written decimal places, a
 * passing `k` would be a second decimal of at most 15 significant digits for
 * the same double, and there is none; at the written places, `value * 10^k`
 * is within 0.25 of the integer, so `Math.round` finds it.
 *
 * @example
 * decimalScaleOf(29.99); // 2, and Math.round(29.99 * 100) === 2999
 * decimalScaleOf(42); // 0
 * decimalScaleOf(5e-324); // -1
 */
export function decimalScaleOf(value: number): number {
  if (Number.isInteger(value)) return Number.isSafeInteger(value) ? 0 : -1;
  for (let scale = 1; scale <= MAX_FAST_DECIMAL_SCALE; scale++) {
    const power = POWERS_OF_TEN[scale] as number;
    const units = Math.round(value * power);
    if (Math.abs(units) >= FAST_UNITS_LIMIT) return -1;
    if (units / power === value) return scale;
  }
  return -1;
}
