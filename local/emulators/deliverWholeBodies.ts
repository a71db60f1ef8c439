import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { readEmulatorRequestBody } from './readEmulatorRequestBody.js';

/** Options of {@link deliverWholeBodies}. */
export interface DeliverWholeBodiesOptions {
  /** Largest body read, bytes; a longer one gets 413 and never reaches the handlers. */
  maxBytes: number;
}

/**
 * Makes `server`'s request handlers see each request body as one `data`
 * chunk. kinesalite and dynalite grow the body with `Buffer.concat` on every
 * chunk, which copies it again per 64 KB chunk: quadratic in the body size. A
 * 5 MB PutRecords call (the producer's largest) cost ~200 MB of copying and
 * blocked the emulator's event loop for tens of milliseconds. Here the chunks
 * are kept and joined once, then replayed to the original handlers. A body
 * over `maxBytes` is refused as soon as it passes the limit (see
 * `readEmulatorRequestBody`): a 150 MiB one once grew the emulator by 150 MB.
 *
 * @example
 * await listen(deliverWholeBodies(kinesalite({}), { maxBytes: EMULATOR_MAX_REQUEST_BYTES.kinesis }), 0);
 */
export function deliverWholeBodies(server: Server, options: DeliverWholeBodiesOptions): Server {
  const handlers = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    readEmulatorRequestBody(request, response, options.maxBytes).then(
      (body) => {
        if (body === undefined) return;
        request.removeAllListeners('data');
        for (const handler of handlers) handler.call(server, request, response);
        // The stream has ended, so these reach only the handlers just attached.
        if (body.length > 0) request.emit('data', body);
        request.emit('end');
      },
      // The client went away mid-body: there is no one to answer.
      () => response.destroy(),
    );
  });
  return server;
}
