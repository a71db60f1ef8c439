import { DEFAULT_RELATIVE_ACCURACY, LogBucketScheme } from './LogBucketScheme.js';

/** How many values a histogram holds and where its percentiles lie; zeros when empty. */
export interface HistogramSummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export { DEFAULT_RELATIVE_ACCURACY } from './LogBucketScheme.js';

/**
 * A mergeable histogram of positive values in logarithmic buckets, so any
 * quantile it reports lies within `relativeAccuracy` of the true value
 * (the DDSketch bucket scheme, see {@link LogBucketScheme}). Values at or
 * below zero are counted in a zero bucket.
 *
 * Recording is O(1) and memory grows with the logarithm of the value range,
 * not with the number of values.
 *
 * @example
 * const latency = new LogHistogram();
 * latency.record(12.5);
 * latency.quantile(0.99); // ≈ 12.5 (within 1 %)
 */
export class LogHistogram {
  readonly #scheme: LogBucketScheme;
  readonly #buckets = new Map<number, number>();
  #zeros = 0;
  #count = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;

  public constructor(public readonly relativeAccuracy = DEFAULT_RELATIVE_ACCURACY) {
    this.#scheme = new LogBucketScheme(relativeAccuracy);
  }

  /** Values recorded. */
  public get count(): number {
    return this.#count;
  }

  /** Smallest value recorded, exact; `undefined` when empty. */
  public get min(): number | undefined {
    return this.#count === 0 ? undefined : this.#min;
  }

  /** Largest value recorded, exact; `undefined` when empty. */
  public get max(): number | undefined {
    return this.#count === 0 ? undefined : this.#max;
  }

  /** Records `value` `times` times. */
  public record(value: number, times = 1): void {
    if (!Number.isFinite(value)) throw new RangeError(`value must be finite (given ${value})`);
    this.#count += times;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
    if (value <= 0) {
      this.#zeros += times;
      return;
    }
    const index = this.#scheme.indexOf(value);
    this.#buckets.set(index, (this.#buckets.get(index) ?? 0) + times);
  }

  /** Adds every value of `other`, which must have the same accuracy. */
  public merge(other: LogHistogram): void {
    if (other.relativeAccuracy !== this.relativeAccuracy) {
      throw new RangeError(
        `cannot merge histograms of accuracy ${other.relativeAccuracy} and ${this.relativeAccuracy}`,
      );
    }
    for (const [index, n] of other.#buckets)
      this.#buckets.set(index, (this.#buckets.get(index) ?? 0) + n);
    this.#zeros += other.#zeros;
    this.#count += other.#count;
    this.#min = Math.min(this.#min, other.#min);
    this.#max = Math.max(this.#max, other.#max);
  }

  /**
   * The value at quantile `q` (0..1), within the relative accuracy and clamped
   * to the exact min and max; `undefined` when empty.
   */
  public quantile(q: number): number | undefined {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must lie in [0, 1] (given ${q})`);
    if (this.#count === 0) return undefined;
    // The rank of the value at q among the sorted values, 0-based.
    const rank = Math.floor(q * (this.#count - 1));
    if (rank < this.#zeros) return Math.max(this.#min, 0);
    let seen = this.#zeros;
    const indexes = [...this.#buckets.keys()].sort((a, b) => a - b);
    for (const index of indexes) {
      seen += this.#buckets.get(index) ?? 0;
      if (seen > rank) {
        const estimate = this.#scheme.valueOf(index);
        return Math.min(this.#max, Math.max(this.#min, estimate));
      }
    }
    return this.#max;
  }

  /** Count, p50, p95, p99 and max in one object (zeros when empty), for stats and reports. */
  public summary(): HistogramSummary {
    return {
      count: this.#count,
      p50: this.quantile(0.5) ?? 0,
      p95: this.quantile(0.95) ?? 0,
      p99: this.quantile(0.99) ?? 0,
      max: this.max ?? 0,
    };
  }
}
