import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmulatorExitedError, EmulatorName } from './EmulatorExitedError.js';
import type { EmulatorPorts } from './emulatorProcess.js';
import { EMULATOR_RESTART_POLICY, type EmulatorRestartPolicy } from './emulatorRestartPolicy.js';
import { SupervisedEmulator } from './SupervisedEmulator.js';

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
  /**
   * How often an emulator whose state is on disk (S3 always, Kinesis and DynamoDB with
   * `dataDir`) is restarted after it dies.
   * @default EMULATOR_RESTART_POLICY - 3 restarts within 60 s
   */
  restartPolicy?: EmulatorRestartPolicy;
  /** Told of every emulator process that ends unasked, with whether it is restarted. */
  onExit?: (error: EmulatorExitedError, restarting: boolean) => void;
  /** Told when a restarted emulator answers again, with how long it was down, ms. */
  onRestarted?: (emulator: EmulatorName, pid: number | undefined, downMs: number) => void;
  /**
   * Told once per emulator that is down for good: its state was in memory, or it went down
   * more often than `restartPolicy` allows. The caller should stop.
   * @default - nothing but `onExit`
   */
  onGiveUp?: (error: EmulatorExitedError) => void;
}

/** Running emulators. */
export interface RunningEmulators {
  ports: EmulatorPorts;
  /** Process id of each emulator's current process (a restart changes it). */
  readonly pids: Partial<Record<EmulatorName, number>>;
  /** Each emulator's state: `up`, or `down (…)` saying how it ended and what follows. */
  health(): Partial<Record<EmulatorName, string>>;
  /** Resolves once every emulator is up; stays pending while one is down for good. */
  whenUp(): Promise<void>;
  /** Stops the emulators and removes temporary state. */
  stop(): Promise<void>;
}

/**
 * Starts kinesalite, dynalite and s3rver on `host`, each in a child process
 * of its own, so that one emulator's work never waits for another's on a
 * shared event loop. Each answers 403 to requests from web browsers and to
 * foreign `Host` names. A child exits when it is told to stop or when this
 * process goes away (its IPC channel closes, even after SIGKILL).
 *
 * An emulator that dies is restarted on the same port when its state is on
 * disk (S3 always, Kinesis and DynamoDB with `dataDir`), up to
 * `restartPolicy`; otherwise `onGiveUp` is told.
 *
 * @throws {Error} when a port is taken (with Node's `code` EADDRINUSE and the `port`) or a child
 *   fails to start; the others are stopped
 */
export async function startEmulators(options: EmulatorOptions): Promise<RunningEmulators> {
  const tempDir = options.dataDir ? undefined : await mkdtemp(join(tmpdir(), 'streamfold-'));
  const dataDir = options.dataDir ?? (tempDir as string);
  // A process that exits without stop() (an uncaught error, process.exit) leaves no temporary
  // folder behind.
  const removeTempDir = () => {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  };
  process.once('exit', removeTempDir);
  const names = (['kinesis', 'dynamodb', 's3'] as const).filter(
    (name) => options.ports[name] !== undefined,
  );
  const policy = options.restartPolicy ?? EMULATOR_RESTART_POLICY;
  const started = await Promise.allSettled(
    names.map((name) =>
      SupervisedEmulator.start(
        name,
        {
          host: options.host,
          [name]: options.ports[name],
          dataDir,
          persist: options.dataDir !== undefined,
          allowHosts: options.allowHosts ?? [],
        },
        {
          // s3rver always keeps its objects in files (the temporary folder lives as long as we do).
          restartable: name === 's3' || options.dataDir !== undefined,
          policy,
          ...(options.onExit ? { onExit: options.onExit } : {}),
          ...(options.onRestarted ? { onRestarted: options.onRestarted } : {}),
          ...(options.onGiveUp ? { onGiveUp: options.onGiveUp } : {}),
        },
      ),
    ),
  );
  const emulators = started.flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : [],
  );
  const stop = async () => {
    await Promise.all(emulators.map((emulator) => emulator.stop()));
    process.off('exit', removeTempDir);
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  };
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) {
    await stop();
    throw failure.reason;
  }
  const ports: EmulatorPorts = {};
  for (const emulator of emulators) ports[emulator.name] = emulator.port;
  return {
    ports,
    get pids() {
      const pids: Partial<Record<EmulatorName, number>> = {};
      for (const emulator of emulators) {
        if (emulator.pid !== undefined) pids[emulator.name] = emulator.pid;
      }
      return pids;
    },
    health: () => Object.fromEntries(emulators.map((emulator) => [emulator.name, emulator.health])),
    whenUp: async () => {
      await Promise.all(emulators.map((emulator) => emulator.whenUp()));
    },
    stop,
  };
}
