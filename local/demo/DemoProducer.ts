import type { StreamfoldEvent } from '../../core/events/envelope.js';
import type { SampleEventFactory } from '../../core/events/SampleEventFactory.js';
import type { KinesisProducer } from '../../producers/KinesisProducer.js';

const TICK_MS = 100;

/**
 * Puts the configuration's sample events through a {@link KinesisProducer} at a steady
 * rate so the dashboard has live data. It skips a tick rather than queue
 * without bound when the producer falls behind.
 */
export class DemoProducer {
  readonly #producer: KinesisProducer;
  readonly #ratePerSecond: number;
  readonly #next: () => StreamfoldEvent;
  #timer: NodeJS.Timeout | undefined;
  #carry = 0;
  /** Events put and their outcomes. */
  public readonly counts = { put: 0, acknowledged: 0, failed: 0, skipped: 0 };
  /** Told about each failed put. */
  public onError: (error: unknown) => void = () => undefined;

  public constructor(
    producer: KinesisProducer,
    sampleEvents: SampleEventFactory,
    ratePerSecond: number,
  ) {
    this.#producer = producer;
    this.#next = sampleEvents({ source: 'demo' });
    this.#ratePerSecond = ratePerSecond;
  }

  public start(): void {
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
  }

  /** Stops producing; events already put are flushed by the producer's `close()`. */
  public stop(): void {
    clearInterval(this.#timer);
  }

  #tick(): void {
    this.#carry += (this.#ratePerSecond * TICK_MS) / 1_000;
    const due = Math.floor(this.#carry);
    this.#carry -= due;
    // A second's worth of events waiting means the stream is not keeping up: skip, don't pile up.
    if (this.#producer.bufferedEvents > Math.max(1_000, this.#ratePerSecond)) {
      this.counts.skipped += due;
      return;
    }
    for (let i = 0; i < due; i++) {
      this.counts.put++;
      this.#producer.put(this.#next()).then(
        () => {
          this.counts.acknowledged++;
        },
        (error: unknown) => {
          this.counts.failed++;
          this.onError(error);
        },
      );
    }
  }
}
