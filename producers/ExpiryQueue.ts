import { performance } from 'node:perf_hooks';

/**
 * Items with a deadline (`performance.now()` ms), kept in the order they were
 * added. With one TTL for every item, deadlines ascend in that order, so one
 * timer for the oldest unsettled item is enough and each item is looked at a
 * constant number of times. Settled items are dropped from the front as soon
 * as the queue is touched, so they can be collected before their deadline.
 */
export class ExpiryQueue<T extends { deadline: number }> {
  readonly #isSettled: (item: T) => boolean;
  readonly #onDue: (due: T[]) => void;
  #items: T[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;

  /**
   * @param isSettled whether an item no longer needs a deadline
   * @param onDue called with the unsettled items whose deadline passed; it must settle them
   */
  public constructor(isSettled: (item: T) => boolean, onDue: (due: T[]) => void) {
    this.#isSettled = isSettled;
    this.#onDue = onDue;
  }

  /** Adds an item; its deadline must not lie before the deadlines already in the queue. */
  public push(item: T): void {
    this.#items.push(item);
    this.#arm();
  }

  /** The oldest unsettled item, or `undefined` when every item has settled. */
  public oldest(): T | undefined {
    while (this.#head < this.#items.length && this.#isSettled(this.#items[this.#head] as T)) {
      this.#head++;
    }
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 4_096 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return this.#items[this.#head];
  }

  /** Stops the timer; items left are no longer watched. */
  public stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    const oldest = this.oldest();
    if (this.#timer || !oldest) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#fire();
      },
      Math.max(0, oldest.deadline - performance.now()),
    );
    // Never the only thing keeping a process alive: unsettled items always have a call,
    // a backoff or a linger timer of their own; a timer for settled ones must not hold exit.
    this.#timer.unref();
  }

  #fire(): void {
    const now = performance.now();
    const due: T[] = [];
    for (let item = this.oldest(); item && item.deadline <= now; item = this.oldest()) {
      due.push(item);
      this.#head++;
    }
    if (due.length > 0) this.#onDue(due);
    this.#arm();
  }
}
