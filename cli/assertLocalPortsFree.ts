import { createServer } from 'node:net';
import type { StreamfoldConfig } from '../core/config/configSchema.js';
import { PortInUseError, UsageError } from './errors.js';
import { LOCAL_PORTS, type LocalPortName } from './localStackOverrides.js';

/**
 * Checks, before anything starts, that every port `streamfold start` will
 * listen on is free on `local.host`: the emulators' (unless an external
 * endpoint replaces one), the Firehose endpoint's and the HTTP server's. A
 * busy port then stops the start with one sentence and no process left behind,
 * instead of an EADDRINUSE from a child process half-way through. Two
 * services given one port are refused first: whichever started second would
 * fail, and which one that is depends on timing.
 *
 * @throws {UsageError} when two services have the same port, naming both flags
 * @throws {PortInUseError} naming the first busy port, its service and the flag that moves it
 */
export async function assertLocalPortsFree(config: StreamfoldConfig): Promise<void> {
  const { host, ports, endpoints } = config.local;
  const names = (Object.keys(LOCAL_PORTS) as LocalPortName[]).filter(
    (name) => name === 'http' || endpoints[name] === undefined,
  );
  for (const [index, name] of names.entries()) {
    const earlier = names.slice(0, index).find((other) => ports[other] === ports[name]);
    if (earlier !== undefined) {
      throw new UsageError(
        `${LOCAL_PORTS[name].flag} and ${LOCAL_PORTS[earlier].flag} are both ${ports[name]}`,
      );
    }
  }
  for (const name of names) {
    const error = await tryListen(host, ports[name]);
    if (error?.code === 'EADDRINUSE') {
      throw new PortInUseError(host, ports[name], LOCAL_PORTS[name], { cause: error });
    }
    // Any other refusal (an address not on this machine) is left to the start itself to report.
  }
}

/**
 * The {@link PortInUseError} an EADDRINUSE from starting the local stack stands
 * for, or `undefined` when `error` is not one: another process can take a
 * port between the check and the start.
 */
export function portInUseErrorOf(
  error: unknown,
  config: StreamfoldConfig,
): PortInUseError | undefined {
  const { code, port, message } = error as { code?: unknown; port?: unknown; message?: unknown };
  if (code !== 'EADDRINUSE') return undefined;
  const busy =
    typeof port === 'number' ? port : Number(/:(\d+)\s*$/.exec(String(message))?.[1] ?? Number.NaN);
  const name = (Object.keys(LOCAL_PORTS) as LocalPortName[]).find(
    (candidate) => config.local.ports[candidate] === busy,
  );
  return name === undefined
    ? undefined
    : new PortInUseError(config.local.host, busy, LOCAL_PORTS[name], { cause: error });
}

function tryListen(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}
