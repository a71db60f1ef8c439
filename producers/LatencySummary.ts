/** Latency figures, ms; zeros until the first sample. */
export interface LatencySnapshot {
  count: number;
  mean: number;
  /** Median of the most recent samples (see {@link LatencySummary}). */
  p50: number;
  /** 99th percentile of the most recent samples. */
  p99: number;
  max: number;
}

/**
 * Running latency figures: count, mean and max over every sample, and
 * percentiles over the most recent `window` samples, so that reading them
 * costs one sort of a bounded array however long the producer runs.
 *
 * @example
 * const latency = new LatencySummary();
 * latency.add(12.5);
 * latency.snapshot().p99; // 12.5
 */
export class LatencySummary {
  readonly #recent: Float64Array;
  #count = 0;
  #sum = 0;
  #max = 0;

  /** @param window how many recent samples the percentiles cover */
  public constructor(window = 4_096) {
    this.#recent = new Float64Array(window);
  }

  /** Records one latency, ms. */
  public add(ms: number): void {
    this.#recent[this.#count % this.#recent.length] = ms;
    this.#count++;
    this.#sum += ms;
    if (ms > this.#max) this.#max = ms;
  }

  /** The figures now. */
  public snapshot(): LatencySnapshot {
    if (this.#count === 0) return { count: 0, mean: 0, p50: 0, p99: 0, max: 0 };
    const recent = this.#recent.slice(0, Math.min(this.#count, this.#recent.length)).sort();
    const at = (q: number) =>
      recent[Math.min(recent.length - 1, Math.floor(q * recent.length))] ?? 0;
    return {
      count: this.#count,
      mean: this.#sum / this.#count,
      p50: at(0.5),
      p99: at(0.99),
      max: this.#max,
    };
  }
}
