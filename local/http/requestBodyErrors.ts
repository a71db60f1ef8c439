/** A request body refused while it was read; the caller answers with {@link statusCode}. */
export class RequestBodyError extends Error {
  public constructor(
    message: string,
    /** The HTTP status to answer with. */
    public readonly statusCode: number,
  ) {
    super(message);
    this.name = 'RequestBodyError';
  }
}

/** The body is over the route's limit: declared so in `Content-Length`, or found while reading. */
export class RequestBodyTooLargeError extends RequestBodyError {
  public constructor(
    /** The route's limit, bytes. */
    public readonly maxBytes: number,
    /** The declared `Content-Length`, or the bytes read when reading stopped. */
    public readonly bodyBytes: number,
    /** Whether `bodyBytes` is the declared length (nothing was read). */
    public readonly declared: boolean,
  ) {
    super(
      declared
        ? `request body is ${bodyBytes} bytes (Content-Length); at most ${maxBytes} are accepted`
        : `request body is over ${maxBytes} bytes (${bodyBytes} read when reading stopped); at most ${maxBytes} are accepted`,
      413,
    );
    this.name = 'RequestBodyTooLargeError';
  }
}

/** The server holds as many request bytes as it allows at once; the client should retry later. */
export class ServerBusyError extends RequestBodyError {
  public constructor(
    /** The server's in-flight limit, bytes. */
    public readonly maxInFlightBytes: number,
    /** What the client should wait before retrying, seconds (`Retry-After`). */
    public readonly retryAfterSeconds: number,
  ) {
    super(
      `the server is reading ${maxInFlightBytes} bytes of other requests, as many as it holds at once; retry in ${retryAfterSeconds} s`,
      503,
    );
    this.name = 'ServerBusyError';
  }
}

/** The client sent nothing of its body for too long; its reservation is given back. */
export class RequestBodyTimeoutError extends RequestBodyError {
  public constructor(
    /** How long the body may pause, ms. */
    public readonly idleTimeoutMs: number,
  ) {
    super(
      `no byte of the request body arrived for ${idleTimeoutMs / 1_000} s; send the body without pausing`,
      408,
    );
    this.name = 'RequestBodyTimeoutError';
  }
}
