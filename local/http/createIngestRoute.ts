import { ingestEvents } from '../../functions/ingest/ingestEvents.js';
import type { IngestDependencies } from '../../functions/ingest/types.js';
import type { RouteHandler } from './HttpRouter.js';
import { InFlightBytes } from './InFlightBytes.js';
import { readRequestBody } from './readRequestBody.js';
import { RequestBodyError, RequestBodyTimeoutError, ServerBusyError } from './requestBodyErrors.js';
import { sendJson } from './sendJson.js';

/** Options of {@link createIngestRoute}. */
export interface IngestRouteOptions {
  /**
   * Request body bytes the route reads at once across its requests; beyond it a request
   * gets 503 with `Retry-After` and its body is not read.
   * @default - a limiter of its own, `DEFAULT_MAX_IN_FLIGHT_BYTES` (32 MiB)
   */
  inFlight?: InFlightBytes;
}

/**
 * The local `POST /events` route: reads the body (capped at
 * `ingest.maxRequestBytes`, and at the bytes in flight across requests) and
 * answers with what {@link ingestEvents} decides, the same function the
 * Lambda handler calls on AWS. A body over the cap gets 413 as soon as the cap
 * is passed; a request that does not fit in flight gets 503 with `Retry-After`.
 *
 * @throws {RangeError} when `inFlight` holds less than one body of `maxRequestBytes`
 */
export function createIngestRoute(
  dependencies: IngestDependencies,
  options: IngestRouteOptions = {},
): RouteHandler {
  const maxBytes = dependencies.limits.maxRequestBytes;
  const inFlight = options.inFlight ?? new InFlightBytes();
  if (inFlight.maxBytes < maxBytes) {
    // Otherwise a body at the limit would get 503 forever.
    throw new RangeError(
      `maxInFlightBytes must be at least ingest.maxRequestBytes, ${maxBytes} (given ${inFlight.maxBytes})`,
    );
  }
  return async (request, response) => {
    let body: Buffer;
    try {
      body = await readRequestBody(request, response, { maxBytes, inFlight });
    } catch (error) {
      if (!(error instanceof RequestBodyError)) throw error;
      const busy = error instanceof ServerBusyError;
      const code = busy
        ? 'server_busy'
        : error instanceof RequestBodyTimeoutError
          ? 'request_timeout'
          : 'request_too_large';
      sendJson(
        response,
        error.statusCode,
        {
          error: code,
          message:
            code === 'request_too_large'
              ? `${error.message} (ingest.maxRequestBytes)`
              : error.message,
        },
        busy ? { 'retry-after': String(error.retryAfterSeconds) } : {},
      );
      return;
    }
    const result = await ingestEvents(
      { contentType: request.headers['content-type'], body },
      dependencies,
    );
    sendJson(response, result.status, result.body, result.headers);
  };
}
