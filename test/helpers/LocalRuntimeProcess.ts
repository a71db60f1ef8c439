import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ServiceEndpoints } from '../../local/awsClients.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The banner's last line: everything is started and the endpoints are printed. */
const READY_LINE = 'Ctrl-C flushes everything and stops.';
const START_TIMEOUT_MS = 60_000;

/** How a process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * `npm start` as a real child process (`node bin/streamfold.js start`), in a
 * process group of its own with its emulator processes, so a test can
 * `kill -9` the whole local runtime or only the emulators, as a crash would.
 *
 * @example
 * const runtime = await LocalRuntimeProcess.start(['--no-demo', '--data-dir', dir]);
 * await runtime.killAll(); // SIGKILL to the runtime and its emulators
 */
export class LocalRuntimeProcess {
  readonly #child: ChildProcess;
  #output = '';
  /** Resolves when the runtime's main process has exited. */
  public readonly exited: Promise<ProcessExit>;
  /** The emulators' endpoints, read from the banner. */
  public endpoints: ServiceEndpoints = { kinesis: '', dynamodb: '', s3: '' };

  private constructor(args: readonly string[]) {
    this.#child = spawn(process.execPath, ['bin/streamfold.js', 'start', ...args], {
      cwd: REPO_ROOT,
      // Its own process group: killing the group reaches the emulator processes too.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const append = (chunk: Buffer) => {
      this.#output += chunk.toString('utf8');
    };
    this.#child.stdout?.on('data', append);
    this.#child.stderr?.on('data', append);
    this.exited = new Promise((resolve) =>
      this.#child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Starts the runtime with `args` and waits until its banner shows the endpoints. */
  public static async start(args: readonly string[]): Promise<LocalRuntimeProcess> {
    const runtime = new LocalRuntimeProcess(args);
    const deadline = Date.now() + START_TIMEOUT_MS;
    let exit: ProcessExit | undefined;
    void runtime.exited.then((e) => {
      exit = e;
    });
    while (!runtime.#output.includes(READY_LINE)) {
      if (exit || Date.now() > deadline) {
        await runtime.killAll();
        throw new Error(
          `local runtime ${exit ? `exited (${JSON.stringify(exit)})` : 'did not start'}:\n${runtime.#output}`,
        );
      }
      await delay(50);
    }
    const endpoint = (label: string) => {
      const match = new RegExp(`^\\s+${label}\\s+(http://\\S+)`, 'm').exec(runtime.#output);
      if (!match?.[1]) throw new Error(`no ${label} endpoint in the banner:\n${runtime.#output}`);
      return match[1];
    };
    runtime.endpoints = {
      kinesis: endpoint('Kinesis'),
      dynamodb: endpoint('DynamoDB'),
      s3: endpoint('S3'),
    };
    return runtime;
  }

  /** The process id of the runtime's main process (also its process group id). */
  public get pid(): number {
    return this.#child.pid as number;
  }

  /** Everything the runtime wrote to stdout and stderr so far. */
  public get output(): string {
    return this.#output;
  }

  /**
   * `kill -9` of the whole runtime: the main process and its emulator processes
   * at once. Resolves once every process of the group is gone, so a restart on
   * the same data never finds the emulators' files still locked.
   */
  public async killAll(): Promise<void> {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch (error) {
      // ESRCH: the group is already gone.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
    await this.exited;
    await this.#groupExited();
  }

  /**
   * `kill -9` of the emulator processes alone (one per emulator, all at once); the runtime's
   * main process keeps running.
   */
  public killEmulators(): number[] {
    const pids = this.#emulatorPids();
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    return pids;
  }

  /**
   * Ctrl-C as a user gives it (SIGTERM to the main process): the runtime drains
   * and stops. Returns its exit and the figures of its last status line.
   */
  public async stop(timeoutMs = 60_000): Promise<ProcessExit & { status: RuntimeStatus }> {
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => void this.killAll(), timeoutMs);
    const exit = await this.exited.finally(() => clearTimeout(timer));
    // The runtime stops its emulators before it exits, but does not wait past 5 s for them.
    await this.#groupExited();
    const line = /^stopped\. (.*)$/m.exec(this.#output)?.[1];
    if (!line) throw new Error(`no "stopped." line (${JSON.stringify(exit)}):\n${this.#output}`);
    return { ...exit, status: parseStatus(line) };
  }

  /** The emulator processes: those in this runtime's process group running `emulatorProcess`. */
  #emulatorPids(): number[] {
    const pids = this.#groupMembers().filter((member) => {
      try {
        return readFileSync(`/proc/${member}/cmdline`, 'utf8').includes('emulatorProcess');
      } catch {
        // The process ended between the listing and the read: it is not a running emulator.
        return false;
      }
    });
    if (pids.length === 0) throw new Error(`no emulator process in process group ${this.pid}`);
    return pids;
  }

  async #groupExited(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#groupMembers().length > 0) {
      if (Date.now() > deadline)
        throw new Error(
          `processes ${this.#groupMembers().join(', ')} of group ${this.pid} live on`,
        );
      await delay(20);
    }
  }

  /** Live processes of this runtime's process group (zombies count as gone). */
  #groupMembers(): number[] {
    const members: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        // The process ended between the listing and the read.
        continue;
      }
      // After the command in parentheses (which may hold spaces): state, ppid, process group.
      const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(group) === this.pid && state !== 'Z') members.push(Number(entry));
    }
    return members;
  }
}

/** The figures of a status line, by label (`aggregated`, `on-failure`, …). */
export type RuntimeStatus = Record<string, number>;

function parseStatus(line: string): RuntimeStatus {
  const status: RuntimeStatus = {};
  for (const part of line.split(' · ')) {
    const match = /^(.*?) (\d+)/.exec(part.trim());
    if (match?.[1] && match[2]) status[match[1]] = Number(match[2]);
  }
  return status;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
