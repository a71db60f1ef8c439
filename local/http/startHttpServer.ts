import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpRouter } from './HttpRouter.js';

/** Options of {@link startHttpServer}. */
export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  router: HttpRouter;
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
 * Starts an HTTP/1.1 server that hands every request to `router`.
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
    void router.handle(request, response);
  });
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
