/**
 * A rate over a rolling window: fed a running total now and then (for
 * example events produced so far), it answers how fast the total grew over
 * about the last `windowMs`.
 *
 * @example
 * const rate = new EventRateWindow(5_000);
 * rate.record(producer.stats.eventsAcknowledged);
 * rate.perSecond(); // events/s over the last ~5 s
 */
export class EventRateWindow {
  readonly #windowMs: number;
  readonly #samples: { atMs: number; total: number }[] = [];

  public constructor(windowMs: number) {
    if (!(windowMs > 0)) throw new Error(`windowMs must be greater than 0 (given ${windowMs})`);
    this.#windowMs = windowMs;
  }

  /** Records the running total at `atMs` (default now). */
  public record(total: number, atMs = Date.now()): void {
    this.#samples.push({ atMs, total });
    // Keep the newest sample at least a window old as the baseline, drop the ones before it.
    while (this.#samples.length > 2 && (this.#samples[1]?.atMs ?? 0) <= atMs - this.#windowMs) {
      this.#samples.shift();
    }
  }

  /** Growth of the total per second between the baseline and the newest sample; 0 before two samples. */
  public perSecond(): number {
    const first = this.#samples[0];
    const last = this.#samples.at(-1);
    if (!first || !last || last.atMs <= first.atMs) return 0;
    return ((last.total - first.total) * 1_000) / (last.atMs - first.atMs);
  }
}
