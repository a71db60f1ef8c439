/**
 * Request body bytes one local server holds at once by default. Every byte
 * read costs several more while it is handled (the body, its decoded text, the
 * parsed events, the records put to the stream: about 10x for `POST /events`),
 * so 32 MiB keeps a burst of uploads to a few hundred MB of memory, a sliver of
 * the 24 GiB dev machine, while 32 requests of the largest ingest body (1 MiB)
 * or 4 Firehose bodies of the largest size read are read at once: more than 2 cores can parse.
 */
export const DEFAULT_MAX_IN_FLIGHT_BYTES = 32 * 1024 * 1024;

/**
 * Counts the request body bytes a server holds across its concurrent requests,
 * so a burst of large uploads is refused (503) instead of read into memory.
 * A request reserves its body's bytes as they arrive (a declared
 * `Content-Length` reserves nothing, so declaring and stalling holds nothing)
 * and gives them back when its response is done.
 *
 * @example
 * const inFlight = new InFlightBytes(); // 32 MiB
 * if (!inFlight.tryReserve(1_048_576)) answer503();
 * // ... later
 * inFlight.release(1_048_576);
 */
export class InFlightBytes {
  /** Most bytes held at once. */
  public readonly maxBytes: number;
  #heldBytes = 0;

  /**
   * @param maxBytes - most bytes held at once
   * @default - {@link DEFAULT_MAX_IN_FLIGHT_BYTES}
   * @throws {RangeError} when `maxBytes` is not a positive integer
   */
  public constructor(maxBytes: number = DEFAULT_MAX_IN_FLIGHT_BYTES) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
      throw new RangeError(`maxInFlightBytes must be a positive integer (given ${maxBytes})`);
    }
    this.maxBytes = maxBytes;
  }

  /** Bytes held now. */
  public get heldBytes(): number {
    return this.#heldBytes;
  }

  /** Holds `bytes` more when they fit under {@link maxBytes}; says whether they did. */
  public tryReserve(bytes: number): boolean {
    if (this.#heldBytes + bytes > this.maxBytes) return false;
    this.#heldBytes += bytes;
    return true;
  }

  /** Gives back `bytes` reserved earlier. */
  public release(bytes: number): void {
    this.#heldBytes = Math.max(0, this.#heldBytes - bytes);
  }
}
