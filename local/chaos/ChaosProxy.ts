import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { EMULATOR_MAX_REQUEST_BYTES } from '../emulators/emulatorRequestLimits.js';
import { readEmulatorRequestBody } from '../emulators/readEmulatorRequestBody.js';
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
  /**
   * Largest request body read, bytes: the limit of the emulator behind, so the proxy holds no
   * more than it would (see {@link EMULATOR_MAX_REQUEST_BYTES}). A longer body gets 413.
   * @default - the largest emulator limit, DynamoDB's
   */
  maxRequestBytes?: number;
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
 * it sets to the emulator's, and the hop-by-hop headers, which describe one
 * connection (`Transfer-Encoding` among them: bodies go on with a
 * `Content-Length`). So the proxy checks `Host` (and refuses browser
 * requests) itself, before forwarding, the way the emulator behind it would,
 * and refuses a body over the emulator's limit as soon as it passes it.
 */
export async function startChaosProxy(options: ChaosProxyOptions): Promise<ChaosProxy> {
  const target = new URL(options.target);
  const maxRequestBytes = options.maxRequestBytes ?? EMULATOR_MAX_REQUEST_BYTES.dynamodb;
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`chaos proxy: ${String(error)}`);
    });
  });
  refuseBrowserRequests(server, { host: options.host, allowHosts: options.allowHosts });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readEmulatorRequestBody(req, res, maxRequestBytes);
    if (body === undefined) return;
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
        ...endToEndHeaders(req.headers),
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
    const headers: OutgoingHttpHeaders = {
      ...endToEndHeaders(upstream.headers),
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

/** Headers that describe one connection (RFC 9110 §7.6.1), besides those `Connection` names. */
const HOP_BY_HOP_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * `headers` without the hop-by-hop ones. The proxy reads each body whole and
 * sends it on with a `Content-Length`; a `Transfer-Encoding: chunked` kept
 * beside it makes the message ambiguous, and dynalite answers it with 400.
 */
function endToEndHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase()),
  );
  const kept: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (HOP_BY_HOP_HEADERS.has(name) || name.startsWith('proxy-') || named.has(name)) continue;
    kept[name] = value;
  }
  return kept;
}
