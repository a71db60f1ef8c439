import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerMalformedRequests } from './answerMalformedRequests.js';
import type { HttpRouter } from './HttpRouter.js';
import { isAllowedHost } from './isAllowedHost.js';
import { SECURITY_HEADERS } from './securityHeaders.js';
import { sendJson } from './sendJson.js';

/** Options of {@link startHttpServer}. */
export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  router: HttpRouter;
  /**
   * More `Host` values to answer besides `host`, `localhost`, `127.0.0.1` and `[::1]` on
   * this port, as in `local.allowHosts`.
   * @default - none
   */
  allowHosts?: readonly string[];
  /**
   * How long `stop()` lets requests in flight finish before it closes their connections, ms.
   * @default 15000
   */
  stopTimeoutMs?: number;
}

/** A listening server. */
export interface RunningHttpServer {
  /** Base URL, for example `http://127.0.0.1:4570`. */
  url: string;
  port: number;
  /** Stops accepting, lets requests in flight finish (up to `stopTimeoutMs`), then resolves. */
  stop(): Promise<void>;
}

/**
 * Starts an HTTP/1.1 server that hands every request to `router`. Every
 * response carries {@link SECURITY_HEADERS} (a route may set its own content
 * policy). A request whose `Host` names another server gets 421 and never
 * reaches the router: a page whose domain is rebound to this address (DNS
 * rebinding) would otherwise read the query API and post to the ingest route
 * as if it were same-origin.
 *
 * @throws {Error} when the port is taken
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { router } = options;
  let stopping: Promise<void> | undefined;
  const server = createServer((request, response) => {
    response.once('finish', () => {
      // A keep-alive connection goes idle once its response is out; while stopping,
      // close it then instead of waiting for the keep-alive timeout.
      if (stopping) setImmediate(() => server.closeIdleConnections());
    });
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    const { localPort, localAddress } = request.socket;
    const port = localPort ?? 0;
    const host = request.headers.host;
    const allowance = { host: options.host, port, localAddress, allowHosts: options.allowHosts };
    if (!isAllowedHost(host, allowance)) {
      sendJson(response, 421, {
        error: 'misdirected_request',
        message: `Host ${JSON.stringify(host ?? '')} is not this server (use ${options.host}:${port} or localhost:${port}, or add the name to local.allowHosts)`,
      });
      return;
    }
    void router.handle(request, response);
  });
  answerMalformedRequests(server, 'error');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const stopTimeoutMs = options.stopTimeoutMs ?? 15_000;
  return {
    url: `http://${options.host}:${port}`,
    port,
    stop: () => {
      stopping ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), stopTimeoutMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
      return stopping;
    },
  };
}
