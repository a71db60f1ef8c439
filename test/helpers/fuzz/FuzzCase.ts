/** Which server a fuzz request goes to. */
export type FuzzTarget = 'http' | 'firehose';

/** An HTTP/1.1 request written byte for byte, so any header value or body can be sent. */
export interface RawRequest {
  method: string;
  /** Request target as sent: path and query string, already percent-encoded where meant. */
  path: string;
  /** Headers in order; a string is sent as latin1, one byte per character. */
  headers: readonly (readonly [string, string])[];
  body?: Buffer;
  /** `Content-Length` sent instead of the body's own length, the body itself unchanged. */
  declaredLength?: number;
}

/** A parsed answer; `body` is empty when the server closed without one. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** One generated request and what its answer must satisfy. */
export interface FuzzCase {
  /** Reported with the counts, such as `ingest/structured`. */
  category: string;
  /** What was mutated, for the report of a failure. */
  mutation: string;
  target: FuzzTarget;
  request: RawRequest;
  /** The problems with `response`, none when it is acceptable. */
  check(response: RawResponse): string[];
}

/** The body of a response as JSON, or `undefined` when it is not JSON. */
export function jsonBodyOf(response: RawResponse): unknown {
  try {
    return JSON.parse(response.body.toString('utf8'));
  } catch {
    // Not JSON: the caller reports that as the problem.
    return undefined;
  }
}

/** Most characters of a request or body printed in a failure report. */
const MAX_PRINTED_CHARS = 600;

/** The request as a reader can replay it: escaped, long parts cut. */
export function describeRequest(request: RawRequest): string {
  const head = [
    `${request.method} ${request.path}`,
    ...request.headers.map(([name, value]) => `${name}: ${value}`),
  ].join('\n');
  const body = request.body ?? Buffer.alloc(0);
  const declared =
    request.declaredLength === undefined ? '' : ` (Content-Length ${request.declaredLength})`;
  return `${clip(head)}\nbody ${body.length} bytes${declared}: ${clip(body.toString('latin1'))}`;
}

/** `text` escaped as a JSON string and cut to {@link MAX_PRINTED_CHARS}. */
export function clip(text: string): string {
  const escaped = JSON.stringify(text);
  return escaped.length > MAX_PRINTED_CHARS
    ? `${escaped.slice(0, MAX_PRINTED_CHARS)}… (${text.length} chars)`
    : escaped;
}
