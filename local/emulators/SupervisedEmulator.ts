import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { EmulatorExitedError, type EmulatorName } from './EmulatorExitedError.js';
import type { EmulatorFailure, EmulatorPorts, EmulatorRequest } from './emulatorProcess.js';
import type { EmulatorRestartPolicy } from './emulatorRestartPolicy.js';

const STARTUP_TIMEOUT_MS = 30_000;
/** How long an emulator may take to stop before it is killed, ms. */
const STOP_TIMEOUT_MS = 5_000;

/** What a {@link SupervisedEmulator} does when its process ends unasked, and whom it tells. */
export interface EmulatorSupervision {
  /**
   * Whether a restart keeps the emulator's state: true when it lives on disk. A restart of an
   * in-memory emulator would answer with an empty stream or table, so it is not restarted.
   */
  restartable: boolean;
  policy: EmulatorRestartPolicy;
  /** Told of every unexpected exit, with whether a restart follows. */
  onExit?: (error: EmulatorExitedError, restarting: boolean) => void;
  /** Told when a restarted emulator answers again, with how long it was down, ms. */
  onRestarted?: (emulator: EmulatorName, pid: number | undefined, downMs: number) => void;
  /** Told once when the emulator is down for good (not restartable, or restarted too often). */
  onGiveUp?: (error: EmulatorExitedError) => void;
}

/**
 * One emulator's child process, watched: when it exits without being told
 * to, it is started again on the same port and data (when `restartable`, at
 * most `policy.maxRestarts` times per `policy.windowMs`), or declared down for
 * good. The child's `exit` event comes with the kernel's SIGCHLD, so a
 * `kill -9` is seen at once.
 */
export class SupervisedEmulator {
  public readonly name: EmulatorName;
  /** The port it listens on; a restart takes the same one, since every client holds it. */
  public readonly port: number;
  readonly #request: EmulatorRequest;
  readonly #supervision: EmulatorSupervision;
  #child: ChildProcess;
  #state: 'up' | 'restarting' | 'down' = 'up';
  #stopping = false;
  #lastExit: EmulatorExitedError | undefined;
  /** Start times of the restarts within the policy's window, ms since the epoch. */
  #restarts: number[] = [];
  #upWaiters: (() => void)[] = [];

  private constructor(
    name: EmulatorName,
    port: number,
    request: EmulatorRequest,
    child: ChildProcess,
    supervision: EmulatorSupervision,
  ) {
    this.name = name;
    this.port = port;
    this.#request = { ...request, [name]: port };
    this.#child = child;
    this.#supervision = supervision;
    this.#watch(child);
  }

  /**
   * Starts the emulator `name` of `request` and waits until it listens.
   *
   * @throws {Error} when it fails to start (with Node's `code`, e.g. EADDRINUSE, and the `port`)
   */
  public static async start(
    name: EmulatorName,
    request: EmulatorRequest,
    supervision: EmulatorSupervision,
  ): Promise<SupervisedEmulator> {
    const child = forkEmulator(request);
    const ports = await waitForReady(child);
    return new SupervisedEmulator(name, ports[name] as number, request, child, supervision);
  }

  /** The process id of the emulator's current process. */
  public get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Whether it answers requests now. */
  public get isUp(): boolean {
    return this.#state === 'up';
  }

  /**
   * Its state as `/health` shows it: `up`, or `down (exited with signal SIGKILL at …; restarting)`,
   * or `down (…; not restarted: …)`.
   */
  public get health(): string {
    if (this.#state === 'up') return 'up';
    return `down (${this.#lastExit?.exit}; ${this.#lastExit?.consequence})`;
  }

  /** Resolves once it is up; stays pending while it is down for good. */
  public whenUp(): Promise<void> {
    if (this.#state === 'up') return Promise.resolve();
    return new Promise((resolve) => this.#upWaiters.push(resolve));
  }

  /** Stops the emulator (asks it over IPC, kills it after 5 s); no restart follows. */
  public async stop(): Promise<void> {
    this.#stopping = true;
    await stopChild(this.#child);
  }

  #watch(child: ChildProcess): void {
    child.once('exit', (code, signal) => {
      if (this.#stopping || child !== this.#child) return;
      this.#down({ pid: child.pid, exitCode: code, signal });
    });
  }

  #down(how: {
    pid: number | undefined;
    exitCode: number | null;
    signal: NodeJS.Signals | null;
    failure?: string;
  }): void {
    const { restartable, policy } = this.#supervision;
    const now = Date.now();
    this.#restarts = this.#restarts.filter((at) => now - at < policy.windowMs);
    const restarting = restartable && this.#restarts.length < policy.maxRestarts;
    const consequence = restarting
      ? `restarting (${this.#restarts.length + 1} of ${policy.maxRestarts} restarts allowed within ${policy.windowMs / 1_000} s)`
      : restartable
        ? `not restarted: it went down ${policy.maxRestarts + 1} times within ${policy.windowMs / 1_000} s`
        : 'not restarted: its state was in memory (no --data-dir), and a new process would start empty';
    const error = new EmulatorExitedError({
      emulator: this.name,
      ...how,
      at: new Date(now),
      consequence,
    });
    this.#lastExit = error;
    this.#state = restarting ? 'restarting' : 'down';
    this.#supervision.onExit?.(error, restarting);
    if (!restarting) {
      this.#supervision.onGiveUp?.(error);
      return;
    }
    this.#restarts.push(now);
    void this.#restart(now);
  }

  async #restart(downSince: number): Promise<void> {
    const child = forkEmulator(this.#request);
    this.#child = child;
    try {
      await waitForReady(child);
    } catch (error) {
      if (this.#stopping) return;
      this.#down({
        pid: child.pid,
        exitCode: child.exitCode,
        signal: child.signalCode,
        failure: `failed to restart (${error instanceof Error ? error.message : String(error)})`,
      });
      return;
    }
    if (this.#stopping) return;
    this.#watch(child);
    this.#state = 'up';
    for (const resolve of this.#upWaiters.splice(0)) resolve();
    this.#supervision.onRestarted?.(this.name, child.pid, Date.now() - downSince);
  }
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
  // The child ignores SIGTERM (group-wide signals are the parent's to act on): without its IPC
  // channel, only SIGKILL ends it.
  if (child.connected) child.send('stop');
  else child.kill('SIGKILL');
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
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      reject(
        new Error(
          `emulator process exited with ${signal ? `signal ${signal}` : `code ${code}`} before it was ready`,
        ),
      );
    };
    child.once('exit', onExit);
    child.once('message', (message: { ready?: EmulatorPorts } & Partial<EmulatorFailure>) => {
      clearTimeout(timer);
      child.off('exit', onExit);
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
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
