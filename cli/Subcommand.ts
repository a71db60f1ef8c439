import type { CommandArgsSpec } from './parseCommandArgs.js';

/** Where a subcommand writes and what it reads from its surroundings; tests replace each. */
export interface CommandContext {
  /** Standard output; `columns` is its width when it is a terminal. */
  out: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  err: { write(text: string): unknown; isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  /** Current time, ms since the epoch. */
  now(): number;
}

/** One subcommand of `streamfold`. */
export interface Subcommand {
  name: string;
  /** Its `--help` text. */
  help: string;
  /** Its options, checked before `run` (unknown options, missing values) and for `--help`. */
  spec: CommandArgsSpec;
  /**
   * Runs the subcommand with the arguments after its name.
   *
   * @returns the exit code: 0 success, 1 failure
   * @throws {UsageError} or the command's own arguments error for a command line it cannot run (exit 2)
   */
  run(argv: readonly string[], context: CommandContext): Promise<number>;
}
