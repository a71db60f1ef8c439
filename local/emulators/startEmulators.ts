import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EmulatorPorts, EmulatorRequest } from './emulatorProcess.js';

/** Which emulators to run and where. */
export interface EmulatorOptions {
  host: string;
  /** Port per emulator; `undefined` skips it (an external endpoint replaces it), 0 picks a free port. */
  ports: EmulatorPorts;
  /** Persist state here; without it, state lives in memory and a temporary folder. */
  dataDir?: string;
}

/** Running emulators. */
export interface RunningEmulators {
  ports: EmulatorPorts;
  /** Stops the emulators and removes temporary state. */
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 30_000;

/**
 * Starts kinesalite, dynalite and s3rver in a child process on `host`.
 *
 * @throws {Error} when a port is taken or the child fails to start
 */
export async function startEmulators(options: EmulatorOptions): Promise<RunningEmulators> {
  const tempDir = options.dataDir ? undefined : await mkdtemp(join(tmpdir(), 'streamfold-'));
  const request: EmulatorRequest = {
    host: options.host,
    ...options.ports,
    dataDir: options.dataDir ?? (tempDir as string),
    persist: options.dataDir !== undefined,
  };
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const child = fork(
    fileURLToPath(new URL('./emulatorProcess.ts', import.meta.url)),
    [JSON.stringify(request)],
    {
      execArgv: ['--import', tsx, '--openssl-legacy-provider', '--no-warnings'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const ports = await waitForReady(child);
  return {
    ports,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        if (child.connected) child.send('stop');
        await Promise.race([exited, delay(5_000)]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
    },
  };
}

function waitForReady(child: ChildProcess): Promise<EmulatorPorts> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`emulators did not start within ${STARTUP_TIMEOUT_MS} ms`));
    }, STARTUP_TIMEOUT_MS);
    child.once('message', (message: { ready?: EmulatorPorts; failed?: string }) => {
      clearTimeout(timer);
      if (message.ready) resolve(message.ready);
      else reject(new Error(`emulators failed to start: ${message.failed}`));
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
