import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { isAllowedHost } from './isAllowedHost.js';

/** Options of {@link refuseBrowserRequests}. */
export interface RefuseBrowserRequestsOptions {
  /** The interface the server binds, e.g. `127.0.0.1`. */
  host: string;
  /**
   * More `Host` values to answer, as in `local.allowHosts`.
   * @default - none
   */
  allowHosts?: readonly string[];
}

/**
 * Headers only browsers send. AWS SDKs and the aws CLI send neither, so a
 * request carrying one comes from a web page: `Origin` on every cross-origin
 * `fetch`, form post and CORS preflight; `Sec-Fetch-Site` also on the no-cors
 * requests (`<img>`, `<script>`) that carry no `Origin`. Not `Sec-Fetch-Mode`:
 * Node's own `fetch` sends that one too.
 */
const BROWSER_HEADERS = ['origin', 'sec-fetch-site'] as const;

/**
 * Puts a guard in front of `server`'s request handlers that answers 403, with
 * a one-line reason, to every request from a web browser and every request
 * whose `Host` names another server; the handlers never see those. Meant for
 * the AWS emulators and endpoints on loopback: kinesalite and dynalite grant
 * any page CORS (`Access-Control-Allow-Origin: *`), so without this a page on
 * any site could read tables and put records. The port compared with `Host`
 * is the one the connection arrived at, so the guard needs no port up front
 * (servers listening on port 0).
 *
 * @example
 * await listen(refuseBrowserRequests(deliverWholeBodies(kinesalite({}), { maxBytes: EMULATOR_MAX_REQUEST_BYTES.kinesis }), { host: '127.0.0.1' }), 0);
 */
export function refuseBrowserRequests(
  server: Server,
  options: RefuseBrowserRequestsOptions,
): Server {
  const handlers = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const reason = refusalReason(request, options);
    if (reason === undefined) {
      for (const handler of handlers) handler.call(server, request, response);
      return;
    }
    const body = `refused: ${reason}\n`;
    response.writeHead(403, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      // The body is not read, so the connection cannot carry another request.
      connection: 'close',
    });
    response.end(body);
  });
  return server;
}

function refusalReason(
  request: IncomingMessage,
  options: RefuseBrowserRequestsOptions,
): string | undefined {
  for (const name of BROWSER_HEADERS) {
    const value = request.headers[name];
    if (value !== undefined) {
      return `requests from web browsers (${name}: ${String(value)}) are not served; AWS SDKs and the aws CLI send no such header`;
    }
  }
  const port = request.socket.localPort ?? 0;
  const host = request.headers.host;
  const { localAddress } = request.socket;
  if (isAllowedHost(host, { ...options, port, localAddress })) return undefined;
  return `Host ${JSON.stringify(host ?? '')} is not this server (use ${options.host}:${port} or localhost:${port}, or add the name to local.allowHosts)`;
}
