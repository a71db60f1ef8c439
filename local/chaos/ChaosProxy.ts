import {
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { refuseBrowserRequests } from '../http/refuseBrowserRequests.js';

/** A request as the proxy sees it: the operation from `X-Amz-Target` and the raw body. */
export interface ProxiedRequest {
  /** The part of `X-Amz-Target` after the dot, e.g. `PutRecords`; empty for other requests. */
  operation: string;
  body: Buffer;
}

/** What to do with a request. */
export type ProxyDecision =
  | { kind: 'forward' }
  /** Answer without forwarding: an AWS JSON error. */
  | { kind: 'fail'; status: number; type: string; message: string }
  /** Answer without forwarding: a successful response body. */
  | { kind: 'respond'; body: Buffer }
  /** Forward `body` instead of the original, then let `rewrite` change the response body. */
  | { kind: 'rewrite'; body: Buffer; rewrite: (response: Buffer) => Buffer };

/** Options of {@link startChaosProxy}. */
export interface ChaosProxyOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The emulator requests go to, e.g. `http://127.0.0.1:40123`. */
  target: string;
  decide: (request: ProxiedRequest) => ProxyDecision;
  /**
   * More `Host` values to answer besides `host`, `localhost`, `127.0.0.1` and `[::1]` on
   * this port, as in `local.allowHosts`.
   * @default - none
   */
  allowHosts?: readonly string[];
}

/** A running proxy. */
export interface ChaosProxy {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * An HTTP proxy in front of an emulator that speaks the AWS JSON protocols,
 * so faults reach every client the way the real service would send them:
 * over the wire, seen by the SDK's own retry logic. It forwards everything
 * `decide` does not turn into a fault, byte for byte, except `Host`, which
 * it sets to the emulator's. So the proxy checks `Host` (and refuses browser
 * requests) itself, before forwarding, the way the emulator behind it would.
 */
export async function startChaosProxy(options: ChaosProxyOptions): Promise<ChaosProxy> {
  const target = new URL(options.target);
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`chaos proxy: ${String(error)}`);
    });
  });
  refuseBrowserRequests(server, { host: options.host, allowHosts: options.allowHosts });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const targetHeader = String(req.headers['x-amz-target'] ?? '');
    const decision = options.decide({ operation: targetHeader.split('.').at(-1) ?? '', body });
    if (decision.kind === 'fail') {
      const payload = Buffer.from(
        JSON.stringify({ __type: decision.type, message: decision.message }),
      );
      res.writeHead(decision.status, {
        'content-type': String(req.headers['content-type'] ?? 'application/x-amz-json-1.0'),
        'content-length': payload.length,
        'x-amzn-requestid': 'chaos',
      });
      res.end(payload);
      return;
    }
    if (decision.kind === 'respond') {
      res.writeHead(200, {
        'content-type': String(req.headers['content-type'] ?? 'application/x-amz-json-1.1'),
        'content-length': decision.body.length,
        'x-amzn-requestid': 'chaos',
      });
      res.end(decision.body);
      return;
    }
    const forwardBody = decision.kind === 'rewrite' ? decision.body : body;
    const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
      const headers = {
        ...req.headers,
        host: target.host,
        'content-length': String(forwardBody.length),
      };
      const outgoing = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
        resolve,
      );
      outgoing.on('error', reject);
      outgoing.end(forwardBody);
    });
    const responseChunks: Buffer[] = [];
    for await (const chunk of upstream) responseChunks.push(chunk as Buffer);
    let responseBody: Buffer = Buffer.concat(responseChunks);
    if (decision.kind === 'rewrite' && upstream.statusCode === 200)
      responseBody = decision.rewrite(responseBody);
    const headers: Record<string, string | string[] | undefined> = {
      ...upstream.headers,
      'content-length': String(responseBody.length),
    };
    // The body was changed, so a checksum of the original no longer holds.
    delete headers['x-amz-crc32'];
    res.writeHead(upstream.statusCode ?? 502, headers);
    res.end(responseBody);
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${options.host}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
