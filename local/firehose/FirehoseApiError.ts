/**
 * An error the local Firehose endpoint answers with, in the AWS JSON 1.1
 * error shape: `type` becomes `__type` and `x-amzn-ErrorType`, so the SDK
 * raises the modelled exception class (`ResourceNotFoundException`, ...).
 */
export class FirehoseApiError extends Error {
  public constructor(
    /** AWS error code, for example `InvalidArgumentException`. */
    public readonly type: string,
    message: string,
    /** HTTP status: 400 for the caller's mistakes, 5xx for service faults. */
    public readonly statusCode = 400,
    /** Seconds the client should wait before retrying (`Retry-After`), for 503 answers. */
    public readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'FirehoseApiError';
  }
}
