import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';

/**
 * Makes `server`'s request handlers see each request body as one `data`
 * chunk. kinesalite and dynalite grow the body with `Buffer.concat` on every
 * chunk, which copies it again per 64 KB chunk: quadratic in the body size. A
 * 5 MB PutRecords call (the producer's largest) cost ~200 MB of copying and
 * blocked the emulator's event loop for tens of milliseconds. Here the chunks
 * are kept and joined once, then replayed to the original handlers.
 *
 * @example
 * await listen(deliverWholeBodies(kinesalite({})), 0);
 */
export function deliverWholeBodies(server: Server): Server {
  const handlers = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.once('end', () => {
      request.removeAllListeners('data');
      for (const handler of handlers) handler.call(server, request, response);
      // The stream has ended, so these reach only the handlers just attached.
      if (chunks.length > 0) request.emit('data', Buffer.concat(chunks));
      request.emit('end');
    });
  });
  return server;
}
