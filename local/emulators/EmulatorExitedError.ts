import type { EmulatorPorts } from './emulatorProcess.js';

/** Which emulator: the key of its port in {@link EmulatorPorts}. */
export type EmulatorName = keyof EmulatorPorts;

/**
 * An emulator process ended without being told to stop (it was killed, or
 * crashed), or a restart of it failed. `down` says what became of it.
 */
export class EmulatorExitedError extends Error {
  /** The emulator that went down. */
  public readonly emulator: EmulatorName;
  /** Its process id, when it had started. */
  public readonly pid: number | undefined;
  /** Its exit code, or `null` when a signal ended it. */
  public readonly exitCode: number | null;
  /** The signal that ended it, e.g. `SIGKILL`. */
  public readonly signal: NodeJS.Signals | null;
  /** When its exit was seen. */
  public readonly at: Date;
  /** How it ended, as `/health` shows it: `exited with signal SIGKILL at 2026-…Z`. */
  public readonly exit: string;
  /** What became of it: `restarting (…)` or `not restarted: …`. */
  public readonly consequence: string;

  public constructor(props: {
    emulator: EmulatorName;
    pid: number | undefined;
    exitCode: number | null;
    signal: NodeJS.Signals | null;
    at: Date;
    /** What the exit means for the runtime, appended to the message. */
    consequence: string;
    /** Replaces the exit code and signal in the message, for a restart that never got ready. */
    failure?: string;
  }) {
    const how =
      props.failure ??
      (props.signal !== null
        ? `exited with signal ${props.signal}`
        : `exited with code ${props.exitCode}`);
    const exit = `${how} at ${props.at.toISOString()}`;
    super(
      `${props.emulator} emulator${props.pid === undefined ? '' : ` (pid ${props.pid})`} ${exit}; ${props.consequence}`,
    );
    this.name = 'EmulatorExitedError';
    this.emulator = props.emulator;
    this.pid = props.pid;
    this.exitCode = props.exitCode;
    this.signal = props.signal;
    this.at = props.at;
    this.exit = exit;
    this.consequence = props.consequence;
  }
}
