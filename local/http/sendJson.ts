import type { ServerResponse } from 'node:http';

/**
 * Writes `body` as a JSON response with its length, so keep-alive clients know
 * where it ends without chunked encoding.
 */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    ...headers,
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}
