/**
 * Child-process entry that runs AWS emulators from npm (kinesalite, dynalite,
 * s3rver) on loopback; `startEmulators` starts one process per emulator. They
 * run apart from the pipeline, and apart from each other, so that each gets
 * its own event loop: dynalite folding a batch's writes no longer holds up
 * kinesalite's PutRecords and GetRecords. Runs under
 * `--openssl-legacy-provider`, which s3rver needs for ListObjectsV2
 * continuation tokens on Node 20.
 *
 * Protocol: the parent passes {@link EmulatorRequest} as JSON in argv[2]; the
 * child answers `{ ready: ports }` over IPC, or an {@link EmulatorFailure}, and
 * exits when the parent sends `'stop'` or goes away (its IPC channel closes,
 * which the kernel does even when the parent is killed with SIGKILL). Signals
 * meant for the whole process group (Ctrl-C, `kill -TERM -PGID`, a closed
 * terminal) are left to the parent, which stops the emulators after it has
 * flushed everything into them.
 *
 * Every emulator answers only its SDK and CLI callers: a request from a web
 * browser or with a foreign `Host` gets 403 before the emulator sees it (see
 * `refuseBrowserRequests`), since kinesalite and dynalite would grant any web
 * page CORS.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import dynalite from 'dynalite';
import kinesalite from 'kinesalite';
import S3rver from 's3rver';
import { refuseBrowserRequests } from '../http/refuseBrowserRequests.js';
import { deliverWholeBodies } from './deliverWholeBodies.js';
import { EMULATOR_MAX_REQUEST_BYTES } from './emulatorRequestLimits.js';

/** What to start; a port of 0 picks a free one. */
export interface EmulatorRequest {
  host: string;
  kinesis?: number;
  dynamodb?: number;
  s3?: number;
  /** Directory for on-disk state; each emulator uses a subfolder. */
  dataDir: string;
  /** Keep Kinesis and DynamoDB state on disk under `dataDir` (S3 always uses disk). */
  persist: boolean;
  /** More `Host` values the emulators answer, as in `local.allowHosts`. */
  allowHosts: readonly string[];
}

/** What a child that could not start answers: the error's message, and its code and port if any. */
export interface EmulatorFailure {
  failed: string;
  /** Node's error code, e.g. `EADDRINUSE`. */
  code?: string;
  port?: number;
  address?: string;
}

/** The ports the emulators listen on. */
export interface EmulatorPorts {
  kinesis?: number;
  dynamodb?: number;
  s3?: number;
}

const request = JSON.parse(process.argv[2] ?? '{}') as EmulatorRequest;
const closers: (() => Promise<void>)[] = [];
const guard = { host: request.host, allowHosts: request.allowHosts };

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, request.host, () => resolve());
  });
  closers.push(
    () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive connections would hold close() open; requests in flight still finish.
        server.closeIdleConnections();
      }),
  );
  return (server.address() as AddressInfo).port;
}

async function start(): Promise<EmulatorPorts> {
  const ports: EmulatorPorts = {};
  if (request.kinesis !== undefined) {
    const server = kinesalite({
      // State changes (create, split) take effect after 50 ms instead of 500 ms.
      createStreamMs: 50,
      updateStreamMs: 50,
      deleteStreamMs: 50,
      shardLimit: 1_000,
      ...(request.persist ? { path: join(request.dataDir, 'kinesis') } : {}),
    });
    const bounded = deliverWholeBodies(server, { maxBytes: EMULATOR_MAX_REQUEST_BYTES.kinesis });
    ports.kinesis = await listen(refuseBrowserRequests(bounded, guard), request.kinesis);
  }
  if (request.dynamodb !== undefined) {
    const server = dynalite({
      createTableMs: 50,
      updateTableMs: 50,
      deleteTableMs: 50,
      ...(request.persist ? { path: join(request.dataDir, 'dynamodb') } : {}),
    });
    const bounded = deliverWholeBodies(server, { maxBytes: EMULATOR_MAX_REQUEST_BYTES.dynamodb });
    ports.dynamodb = await listen(refuseBrowserRequests(bounded, guard), request.dynamodb);
  }
  if (request.s3 !== undefined) {
    const s3 = new S3rver({
      address: request.host,
      port: request.s3,
      silent: true,
      directory: join(request.dataDir, 's3'),
    });
    const address = (await s3.run()) as AddressInfo;
    // s3rver creates its server in run(); no request is read before this line runs. Its bodies
    // are streamed to disk, not held, so they need no limit here.
    if (s3.httpServer) refuseBrowserRequests(s3.httpServer, guard);
    closers.push(() => s3.close());
    ports.s3 = address.port;
  }
  return ports;
}

/**
 * How long closing may take before the process exits anyway, ms: `server.close()` waits for
 * every open connection, and a keep-alive client of the aws CLI or a test may hold one open.
 */
const CLOSE_TIMEOUT_MS = 2_000;

async function stop(): Promise<void> {
  setTimeout(() => process.exit(0), CLOSE_TIMEOUT_MS).unref();
  await Promise.allSettled(closers.map((close) => close()));
  process.exit(0);
}

// A group-wide signal reaches this process too; the parent decides when the emulators stop,
// after it has flushed everything into them, and the closed IPC channel ends them should it die.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => undefined);
process.on('disconnect', () => void stop());
process.on('message', (message) => {
  if (message === 'stop') void stop();
});

/** Tells the parent why the emulators could not start, and exits. */
function reportStartFailure(error: unknown): void {
  // code and port go along, so the parent can name a busy port and the setting that moves it.
  const { code, port, address } = error as NodeJS.ErrnoException & {
    port?: number;
    address?: string;
  };
  const failure: EmulatorFailure = {
    failed: error instanceof Error ? error.message : String(error),
    ...(code !== undefined ? { code } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(address !== undefined ? { address } : {}),
  };
  process.send?.(failure);
  process.exit(1);
}

// s3rver listens without an 'error' listener: a busy port is thrown from the event loop, not
// rejected, and would print a raw stack. While starting, any such error is a failure to start.
process.on('uncaughtException', reportStartFailure);
start().then((ports) => {
  process.off('uncaughtException', reportStartFailure);
  process.send?.({ ready: ports });
}, reportStartFailure);
