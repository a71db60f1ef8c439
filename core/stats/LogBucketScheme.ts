/** Default relative accuracy of log buckets: quantiles within 1 % of the true value. */
export const DEFAULT_RELATIVE_ACCURACY = 0.01;

/**
 * The DDSketch bucket mapping of positive magnitudes: bucket `i` holds values
 * in `(γ^(i-1), γ^i]` with `γ = (1 + α) / (1 - α)` and is reported as
 * `2γ^i / (γ + 1)`, which lies within `α` (relative) of every value in the
 * bucket. Buckets are mergeable by adding counts index by index. Every
 * histogram of streamfold (producer latencies, aggregate percentiles) maps
 * values through this one definition.
 *
 * @example
 * const scheme = new LogBucketScheme(0.01);
 * scheme.valueOf(scheme.indexOf(42)); // within 1 % of 42
 */
export class LogBucketScheme {
  /** Ratio of a bucket's upper to its lower bound. */
  public readonly gamma: number;
  readonly #logGamma: number;

  public constructor(public readonly relativeAccuracy = DEFAULT_RELATIVE_ACCURACY) {
    if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) {
      throw new RangeError(`relativeAccuracy must lie in (0, 1) (given ${relativeAccuracy})`);
    }
    this.gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
    this.#logGamma = Math.log(this.gamma);
  }

  /** Index of the bucket that holds `magnitude`, which must be positive and finite. */
  public indexOf(magnitude: number): number {
    if (!(magnitude > 0 && Number.isFinite(magnitude))) {
      throw new RangeError(`magnitude must be positive and finite (given ${magnitude})`);
    }
    return Math.ceil(Math.log(magnitude) / this.#logGamma);
  }

  /** The value bucket `index` reports: within the relative accuracy of every value it holds. */
  public valueOf(index: number): number {
    return (2 * this.gamma ** index) / (this.gamma + 1);
  }
}
