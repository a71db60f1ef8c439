import type { IncomingMessage } from 'node:http';

/** A request body read with a size cap. */
export interface CappedBody {
  /** The body, or its first `maxBytes + 1` bytes when it is longer. */
  body: Buffer;
  /** Size of the whole body, bytes. */
  bytes: number;
}

/**
 * Reads a request body, keeping at most `maxBytes + 1` bytes in memory. The
 * rest is read and dropped rather than left unread, so the client gets the
 * response (413) instead of a reset connection while it is still sending.
 *
 * @throws {Error} when the client closes the connection before the body ended
 */
export function readRequestBody(request: IncomingMessage, maxBytes: number): Promise<CappedBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let bytes = 0;
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (kept > maxBytes) return;
      const room = maxBytes + 1 - kept;
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      chunks.push(part);
      kept += part.length;
    });
    request.once('end', () => resolve({ body: Buffer.concat(chunks, kept), bytes }));
    request.once('error', reject);
    request.once('close', () => {
      // After 'end' this does nothing: the promise is settled already.
      if (!request.complete)
        reject(new Error('client closed the connection before the body ended'));
    });
  });
}
