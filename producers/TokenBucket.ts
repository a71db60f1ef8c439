/**
 * A token bucket: `ratePerSecond` tokens accrue continuously up to one
 * second's worth. Used per shard, in records and in bytes, so a producer
 * stays inside the shard's write limits instead of learning them from
 * throttling errors.
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #capacity: number;
  #tokens: number;
  #updatedAt: number;

  /** @param now current time, ms (injectable for tests) */
  public constructor(
    public readonly ratePerSecond: number,
    now: number,
  ) {
    this.#rate = ratePerSecond / 1_000;
    this.#capacity = ratePerSecond;
    this.#tokens = ratePerSecond;
    this.#updatedAt = now;
  }

  /** Tokens there now. */
  public available(now: number): number {
    this.#refill(now);
    return this.#tokens;
  }

  /**
   * Takes `amount` tokens; the balance may go negative (an amount above the
   * capacity), which later calls then wait off. Check `waitMs` first.
   */
  public take(amount: number, now: number): void {
    this.#refill(now);
    this.#tokens -= amount;
  }

  /** Milliseconds until `amount` tokens (at most the capacity) will be there. */
  public waitMs(amount: number, now: number): number {
    this.#refill(now);
    const missing = Math.min(amount, this.#capacity) - this.#tokens;
    return missing <= 0 ? 0 : Math.ceil(missing / this.#rate);
  }

  #refill(now: number): void {
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#updatedAt) * this.#rate);
    this.#updatedAt = now;
  }
}
