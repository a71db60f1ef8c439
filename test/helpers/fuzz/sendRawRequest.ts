import { connect } from 'node:net';
import type { RawRequest, RawResponse } from './FuzzCase.js';

/** How long a request may take before it counts as unanswered, ms. */
const ANSWER_TIMEOUT_MS = 20_000;

/**
 * Sends one request on a fresh connection (`Connection: close`) and reads
 * the answer to the end. A connection the server resets after answering (a
 * refused upload) still yields the answer; `{ failure }` says why none came.
 */
export function sendRawRequest(
  host: string,
  port: number,
  request: RawRequest,
): Promise<RawResponse | { failure: string }> {
  const body = request.body ?? Buffer.alloc(0);
  const head = [
    `${request.method} ${request.path} HTTP/1.1`,
    `Host: ${host}:${port}`,
    'Connection: close',
    ...request.headers.map(([name, value]) => `${name}: ${value}`),
    `Content-Length: ${request.declaredLength ?? body.length}`,
    '',
    '',
  ].join('\r\n');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host, port });
    let socketError: string | undefined;
    const timer = setTimeout(() => {
      socketError = `no answer within ${ANSWER_TIMEOUT_MS} ms`;
      socket.destroy();
    }, ANSWER_TIMEOUT_MS);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // EPIPE or ECONNRESET after a refusal: what arrived before still counts.
    socket.on('error', (error) => {
      socketError ??= error.message;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const response = parseResponse(Buffer.concat(chunks));
      resolve(response ?? { failure: `no HTTP answer (${socketError ?? 'connection closed'})` });
    });
    socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
  });
}

function parseResponse(data: Buffer): RawResponse | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine = '', ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!Number.isInteger(status)) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = data.subarray(end + 4);
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') body = dechunk(body);
  else if (headers['content-length'] !== undefined) {
    body = body.subarray(0, Number(headers['content-length']));
  }
  return { status, headers, body };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', offset);
    if (lineEnd === -1) break;
    const size = Number.parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
