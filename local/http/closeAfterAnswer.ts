import type { IncomingMessage, ServerResponse } from 'node:http';

/** How long a refused request's connection stays open after the answer, reading and dropping, ms. */
const LINGER_MS = 1_000;
/** Most bytes read and dropped while lingering; a client still sending past them is cut off. */
const LINGER_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Makes the connection of a request whose body will not be read close once
 * the answer is out, in stages as RFC 9112 §9.6 advises: the answer says
 * `Connection: close`, the server sends it and half-closes, then reads and
 * drops what the client still sends for up to 1 s (8 MiB) before closing.
 * Closing at once with unread bytes makes the kernel send a TCP reset, and a
 * client still uploading would see the reset instead of the 413 or 503.
 * The request is paused until the answer is out, so nothing is read before.
 */
export function closeAfterAnswer(request: IncomingMessage, response: ServerResponse): void {
  request.pause();
  if (!response.headersSent) response.setHeader('connection', 'close');
  const { socket } = request;
  // Node calls this once the answer of a `Connection: close` response is out; by default it
  // half-closes and destroys the socket as soon as the half-close is sent.
  socket.destroySoon = () => {
    socket.end();
    let dropped = 0;
    request.removeAllListeners('data');
    request.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > LINGER_MAX_BYTES) socket.destroy();
    });
    request.resume();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  };
}
