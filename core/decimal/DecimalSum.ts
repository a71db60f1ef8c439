import { decimalScaleOf, POWERS_OF_TEN } from './decimalScaleOf.js';
import { formatDecimal, formatScaledNumber } from './formatDecimal.js';
import { decimalOfNumber, parseDecimal, type ScaledDecimal } from './parseDecimal.js';

/**
 * An exact decimal sum of numbers as they are written: `0.1 + 0.2` is `0.3`,
 * and 300 two-decimal amounts add up to a two-decimal total, where binary
 * floating point leaves `39411.600000000003`. A number counts as the
 * shortest decimal that reads back as the same double — what `String(n)`
 * prints, and what the value was written as in the JSON it was parsed from
 * (a JSON text with more digits than a double holds counts as that shortest
 * decimal, not as the digits sent).
 *
 * Fast path: while every value has a {@link decimalScaleOf} and the sum
 * scaled to the most decimal places seen stays a safe integer (below 2^53),
 * the sum is kept as that integer in a plain number; integer additions
 * below 2^53 are exact. Otherwise it moves to a BigInt and stays there.
 *
 * @example
 * const sum = new DecimalSum();
 * sum.add(0.1).add(0.2);
 * sum.toString(); // '0.3'
 */
export class DecimalSum {
  /** Decimal places the sum is kept to. */
  #scale = 0;
  /** The sum times 10^scale, while it is a safe integer and no BigInt was needed. */
  #units = 0;
  /** The sum times 10^scale once the fast path ended; `undefined` before. */
  #bigUnits: bigint | undefined;

  /**
   * Adds `value` as written.
   *
   * @param scale `decimalScaleOf(value)`, when the caller already has it (one value is
   *   often added to several sums)
   * @throws {RangeError} for `NaN` and infinities
   */
  public add(value: number, scale: number = decimalScaleOf(value)): this {
    if (scale < 0 || this.#bigUnits !== undefined) {
      return this.#addBig(scale < 0 ? decimalOfNumber(value) : scaledOf(value, scale));
    }
    let units = Math.round(value * (POWERS_OF_TEN[scale] as number));
    let total = this.#units;
    if (scale > this.#scale) total *= POWERS_OF_TEN[scale - this.#scale] as number;
    else if (scale < this.#scale) units *= POWERS_OF_TEN[this.#scale - scale] as number;
    const sum = total + units;
    // Products and sums of safe integers are exact while the result is safe; past it, go exact.
    if (
      !Number.isSafeInteger(total) ||
      !Number.isSafeInteger(units) ||
      !Number.isSafeInteger(sum)
    ) {
      return this.#addBig(scaledOf(value, scale));
    }
    this.#units = sum;
    if (scale > this.#scale) this.#scale = scale;
    return this;
  }

  /**
   * Adds a decimal written as text (`'42.5'`, `'1E+2'`, as DynamoDB returns numbers).
   *
   * @throws {RangeError} when `text` is not a decimal number
   */
  public addDecimal(text: string): this {
    return this.#addBig(parseDecimal(text));
  }

  /** The sum in canonical form (see `formatDecimal`): `'0'` before anything was added. */
  public toString(): string {
    return this.#bigUnits === undefined
      ? formatScaledNumber(this.#units, this.#scale)
      : formatDecimal(this.#bigUnits, this.#scale);
  }

  #addBig(addend: ScaledDecimal): this {
    let total = this.#bigUnits ?? BigInt(this.#units);
    let units = addend.units;
    if (addend.scale > this.#scale) {
      total *= 10n ** BigInt(addend.scale - this.#scale);
      this.#scale = addend.scale;
    } else if (addend.scale < this.#scale) {
      units *= 10n ** BigInt(this.#scale - addend.scale);
    }
    this.#bigUnits = total + units;
    return this;
  }
}

/** A value whose {@link decimalScaleOf} is `scale` (at least 0), as a BigInt decimal. */
function scaledOf(value: number, scale: number): ScaledDecimal {
  return { units: BigInt(Math.round(value * (POWERS_OF_TEN[scale] as number))), scale };
}
