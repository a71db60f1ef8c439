import { seededRandom } from '../seededRandom.js';

/**
 * Draws from a seeded PRNG: the same seed gives the same requests, so a
 * failing case is replayed by running again with its seed.
 *
 * @example
 * const fuzz = new Fuzzer(42);
 * fuzz.pick(['a', 'b']); fuzz.int(1, 6); fuzz.chance(0.1);
 */
export class Fuzzer {
  readonly #random: () => number;

  public constructor(public readonly seed: number) {
    this.#random = seededRandom(seed);
  }

  /** A number in [0, 1). */
  public next(): number {
    return this.#random();
  }

  /** A whole number from `min` to `max`, both included. */
  public int(min: number, max: number): number {
    return min + Math.floor(this.#random() * (max - min + 1));
  }

  /** True with probability `p`. */
  public chance(p: number): boolean {
    return this.#random() < p;
  }

  /** One element of a non-empty list. */
  public pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.#random() * items.length)] as T;
  }

  /** `count` random bytes. */
  public bytes(count: number): Buffer {
    const out = Buffer.alloc(count);
    for (let i = 0; i < count; i++) out[i] = Math.floor(this.#random() * 256);
    return out;
  }

  /** A string of `length` characters drawn from `alphabet`. */
  public text(length: number, alphabet: string): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.#random() * alphabet.length)];
    return out;
  }

  /** An id of the envelope's shape (letters, digits, `-`), unique enough within one run. */
  public id(): string {
    return `f${this.text(20, 'abcdefghijklmnopqrstuvwxyz0123456789-')}`;
  }
}
