import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeAfterAnswer } from './closeAfterAnswer.js';
import type { InFlightBytes } from './InFlightBytes.js';
import {
  RequestBodyTimeoutError,
  RequestBodyTooLargeError,
  ServerBusyError,
} from './requestBodyErrors.js';

/** Options of {@link readRequestBody}. */
export interface ReadRequestBodyOptions {
  /** Largest body read, bytes. */
  maxBytes: number;
  /**
   * The server's count of body bytes held across its requests; a body that does not fit is
   * refused with {@link ServerBusyError}. Bytes are reserved as they arrive, not as declared,
   * so a client that declares a large body and then sends nothing holds nothing; they stay
   * held until `response` closes, since handling the body costs memory until the answer is out.
   * @default - no limit across requests
   */
  inFlight?: InFlightBytes;
  /**
   * Longest pause between two pieces of the body, ms; past it the request is refused with
   * {@link RequestBodyTimeoutError} (408) and what it held is given back, so a stalled upload
   * cannot keep its share of `inFlight` for the server's whole request timeout.
   * @default 10000
   */
  idleTimeoutMs?: number;
  /**
   * What a refused client is told to wait, seconds (`Retry-After`).
   * @default 1
   */
  retryAfterSeconds?: number;
}

/**
 * Reads a request body without ever holding more than `maxBytes` of it. A
 * `Content-Length` over the limit is refused before a byte is read; a body
 * that turns out longer (chunked) is refused as soon as the limit is passed,
 * and reading stops there. The caller answers a refusal with the error's
 * `statusCode` (413; 408 for a stalled body; 503 with `Retry-After` for {@link ServerBusyError});
 * the rest of the body is never kept, and the connection closes after the
 * answer (see `closeAfterAnswer`).
 *
 * @example
 * try {
 *   const body = await readRequestBody(request, response, { maxBytes: 1_048_576, inFlight });
 * } catch (error) {
 *   if (error instanceof RequestBodyError) answer(error.statusCode, error.message);
 * }
 * @throws {RequestBodyTooLargeError} when the body is over `maxBytes`
 * @throws {ServerBusyError} when `inFlight` has no room for the body
 * @throws {RequestBodyTimeoutError} when the body pauses longer than `idleTimeoutMs`
 * @throws {Error} when the client closes the connection before the body ended
 */
export function readRequestBody(
  request: IncomingMessage,
  response: ServerResponse,
  options: ReadRequestBodyOptions,
): Promise<Buffer> {
  const { maxBytes, inFlight } = options;
  const retryAfterSeconds = options.retryAfterSeconds ?? 1;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const declared = declaredLength(request);
  let reserved = 0;
  const release = () => {
    inFlight?.release(reserved);
    reserved = 0;
  };
  response.once('close', release);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    let idle: NodeJS.Timeout | undefined;
    const watchIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        if (!settled) refuse(new RequestBodyTimeoutError(idleTimeoutMs));
      }, idleTimeoutMs);
    };
    const refuse = (
      error: RequestBodyTooLargeError | ServerBusyError | RequestBodyTimeoutError,
    ) => {
      settled = true;
      clearTimeout(idle);
      request.off('data', onData);
      chunks.length = 0;
      release();
      // Paused until the answer is out: the client's upload stalls instead of landing here.
      closeAfterAnswer(request, response);
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) {
        refuse(new RequestBodyTooLargeError(maxBytes, received, false));
        return;
      }
      watchIdle();
      if (inFlight) {
        if (!inFlight.tryReserve(chunk.length)) {
          refuse(new ServerBusyError(inFlight.maxBytes, retryAfterSeconds));
          return;
        }
        reserved += chunk.length;
      }
      chunks.push(chunk);
    };
    if (declared !== undefined && declared > maxBytes) {
      refuse(new RequestBodyTooLargeError(maxBytes, declared, true));
      return;
    }
    // A full server answers at once rather than after the client's first bytes.
    if (inFlight && inFlight.heldBytes >= inFlight.maxBytes) {
      refuse(new ServerBusyError(inFlight.maxBytes, retryAfterSeconds));
      return;
    }
    request.on('data', onData);
    watchIdle();
    request.once('end', () => {
      clearTimeout(idle);
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, received));
    });
    request.once('error', (error) => {
      clearTimeout(idle);
      if (settled) return;
      settled = true;
      reject(error);
    });
    request.once('close', () => {
      clearTimeout(idle);
      if (settled || request.complete) return;
      settled = true;
      reject(new Error('client closed the connection before the body ended'));
    });
  });
}

/** How long a body may pause by default: far beyond any live client's gap between packets. */
const DEFAULT_IDLE_TIMEOUT_MS = 10_000;

/** The `Content-Length` of a request, when it declares one (Node's parser has checked its form). */
function declaredLength(request: IncomingMessage): number | undefined {
  const header = request.headers['content-length'];
  if (header === undefined) return undefined;
  const length = Number(header);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}
