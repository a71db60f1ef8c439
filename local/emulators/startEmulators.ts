import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EmulatorFailure, EmulatorPorts, EmulatorRequest } from './emulatorProcess.js';

/** Which emulators to run and where. */
export interface EmulatorOptions {
  host: string;
  /** Port per emulator; `undefined` skips it (an external endpoint replaces it), 0 picks a free port. */
  ports: EmulatorPorts;
  /** Persist state here; without it, state lives in memory and a temporary folder. */
  dataDir?: string;
  /**
   * More `Host` values the emulators answer besides `host`, `localhost`, `127.0.0.1` and
   * `[::1]` on their own port, as in `local.allowHosts`.
   * @default - none
   */
  allowHosts?: readonly string[];
}

/** Running emulators. */
export interface RunningEmulators {
  ports: EmulatorPorts;
  /** Process id of each emulator's process. */
  pids: Partial<Record<keyof EmulatorPorts, number>>;
  /** Stops the emulators and removes temporary state. */
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 30_000;
/** How long an emulator may take to stop before it is killed, ms. */
const STOP_TIMEOUT_MS = 5_000;

/**
 * Starts kinesalite, dynalite and s3rver on `host`, each in a child process
 * of its own, so that one emulator's work never waits for another's on a
 * shared event loop. Each answers 403 to requests from web browsers and to
 * foreign `Host` names. A child exits when it is told to stop or when this
 * process goes away (its IPC channel closes).
 *
 * @throws {Error} when a port is taken (with Node's `code` EADDRINUSE and the `port`) or a child
 *   fails to start; the others are stopped
 */
export async function startEmulators(options: EmulatorOptions): Promise<RunningEmulators> {
  const tempDir = options.dataDir ? undefined : await mkdtemp(join(tmpdir(), 'streamfold-'));
  const dataDir = options.dataDir ?? (tempDir as string);
  const names = (['kinesis', 'dynamodb', 's3'] as const).filter(
    (name) => options.ports[name] !== undefined,
  );
  const children = names.map((name) =>
    forkEmulator({
      host: options.host,
      [name]: options.ports[name],
      dataDir,
      persist: options.dataDir !== undefined,
      allowHosts: options.allowHosts ?? [],
    }),
  );
  const stop = async () => {
    await Promise.all(children.map(stopChild));
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  };
  const started = await Promise.allSettled(children.map(waitForReady));
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) {
    await stop();
    throw failure.reason;
  }
  const ports: EmulatorPorts = {};
  const pids: RunningEmulators['pids'] = {};
  names.forEach((name, i) => {
    ports[name] = (started[i] as PromiseFulfilledResult<EmulatorPorts>).value[name];
    pids[name] = (children[i] as ChildProcess).pid;
  });
  return { ports, pids, stop };
}

function forkEmulator(request: EmulatorRequest): ChildProcess {
  const tsx = createRequire(import.meta.url).resolve('tsx');
  return fork(
    fileURLToPath(new URL('./emulatorProcess.ts', import.meta.url)),
    [JSON.stringify(request)],
    {
      execArgv: ['--import', tsx, '--openssl-legacy-provider', '--no-warnings'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  if (child.connected) child.send('stop');
  else child.kill('SIGTERM');
  await Promise.race([exited, delay(STOP_TIMEOUT_MS)]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
}

function waitForReady(child: ChildProcess): Promise<EmulatorPorts> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`emulators did not start within ${STARTUP_TIMEOUT_MS} ms`));
    }, STARTUP_TIMEOUT_MS);
    child.once('message', (message: { ready?: EmulatorPorts } & Partial<EmulatorFailure>) => {
      clearTimeout(timer);
      if (message.ready) resolve(message.ready);
      else {
        // Keeps Node's code and port (EADDRINUSE, 4567), so a busy port can be named to the user.
        const { code, port, address } = message;
        reject(
          Object.assign(new Error(`emulators failed to start: ${message.failed}`), {
            ...(code !== undefined ? { code } : {}),
            ...(port !== undefined ? { port } : {}),
            ...(address !== undefined ? { address } : {}),
          }),
        );
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`emulator process exited with code ${code} before it was ready`));
    });
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
