import type { RejectReason } from '../core/events/RejectReason.js';

/** Base class of every error a producer rejects a `put()` with. */
export class ProducerError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ProducerError';
  }
}

/** The event failed validation against the catalog and was not sent. */
export class InvalidEventError extends ProducerError {
  public readonly reason: RejectReason;

  public constructor(reason: RejectReason) {
    super(`invalid event: ${reason.message}`);
    this.name = 'InvalidEventError';
    this.reason = reason;
  }
}

/** The encoded event exceeds the largest record the stream accepts. */
export class EventTooLargeError extends ProducerError {
  public constructor(
    public readonly bytes: number,
    public readonly limitBytes: number,
    /** What refused it, for the message. */
    public readonly destination = 'a Kinesis record',
  ) {
    super(`event is ${bytes} bytes encoded; ${destination} holds at most ${limitBytes} bytes`);
    this.name = 'EventTooLargeError';
  }
}

/** Kinesis kept refusing the record that carried the event, or refused it for good. */
export class PutFailedError extends ProducerError {
  public constructor(
    message: string,
    public readonly errorCode: string | undefined,
    public readonly attempts: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'PutFailedError';
  }
}

/** `put()` was called after `close()`. */
export class ProducerClosedError extends ProducerError {
  public constructor() {
    super('producer is closed');
    this.name = 'ProducerClosedError';
  }
}

/**
 * The event was not acknowledged within the producer's `recordTtlMs`. If a
 * call carrying it was in flight (`maybeDelivered`), the service may still
 * store it: the event `id` lets archive queries drop a duplicate if the caller
 * puts it again.
 */
export class RecordExpiredError extends ProducerError {
  public constructor(
    public readonly ttlMs: number,
    public readonly maybeDelivered: boolean,
    /** Calls that carried it before it expired. */
    public readonly attempts = 0,
  ) {
    super(
      `event not acknowledged within recordTtlMs=${ttlMs} ms; ${
        maybeDelivered
          ? `a call carrying it was in flight (attempt ${Math.max(attempts, 1)}), so it may still have been delivered`
          : attempts === 0
            ? 'it was never sent'
            : `its record was refused ${attempts} times and will not be sent again`
      }`,
    );
    this.name = 'RecordExpiredError';
  }
}
