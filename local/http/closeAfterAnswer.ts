import type { IncomingMessage, ServerResponse } from 'node:http';

/** How long a refused request's connection stays half-closed after the answer, ms. */
const LINGER_MS = 1_000;

/**
 * Makes the connection of a request whose body will not be read close once
 * the answer is out, in stages as RFC 9112 §9.6 advises: the answer says
 * `Connection: close`, the server sends it and half-closes, and closes for
 * good 1 s later. Closing at once with unread bytes makes the kernel send a
 * TCP reset, which can reach a client still uploading before it has read the
 * 413 or 503. The rest of the body is never read: the request stays paused,
 * so a client still sending is held back by TCP rather than read and dropped
 * (reading and dropping 400 refused 1 MiB bodies once cost ~800 MB of RSS).
 */
export function closeAfterAnswer(request: IncomingMessage, response: ServerResponse): void {
  request.pause();
  if (!response.headersSent) response.setHeader('connection', 'close');
  const { socket } = request;
  // Node calls this once the answer of a `Connection: close` response is out; by default it
  // destroys the socket as soon as the half-close is sent.
  socket.destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  };
}
