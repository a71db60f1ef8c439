import { ConfigError } from '../core/config/errors.js';
import { escapeForTerminal } from '../core/text/escapeForTerminal.js';
import { LoadArgsError } from '../load/parseLoadArgs.js';
import { VerifyRefusedError } from '../load/VerifyRefusedError.js';
import { CheckpointFileError } from '../local/kinesis/CheckpointFileError.js';
import { ArchiveArgsError, ArchiveError } from '../ops/archive/errors.js';
import { QueryArgsError } from '../ops/query/errors.js';
import { ReconcileArgsError, ReconcileError } from '../ops/reconcile/errors.js';
import { RedriveArgsError, RedriveError } from '../ops/redrive/errors.js';
import { CliError, UsageError } from './errors.js';
import type { CommandContext } from './Subcommand.js';

/** Set to 1 to see the stack trace of any error. */
export const DEBUG_ENV_VAR = 'STREAMFOLD_DEBUG';

/** Errors of a command line that cannot be run: exit 2 with a pointer to the help. */
const ARGUMENT_ERRORS = [
  UsageError,
  LoadArgsError,
  QueryArgsError,
  ArchiveArgsError,
  ReconcileArgsError,
  RedriveArgsError,
];

/** Errors whose message says all a user needs: exit 1 with the message alone. */
const KNOWN_FAILURES = [
  CliError,
  CheckpointFileError,
  ArchiveError,
  ReconcileError,
  RedriveError,
  VerifyRefusedError,
];

/** Node's codes for a server that cannot be reached or a file that cannot be used. */
const SYSTEM_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EADDRNOTAVAIL',
  'ENOENT',
  'EACCES',
  'EISDIR',
]);

/**
 * Writes what went wrong in `streamfold <command>` to `context.err` and
 * returns the exit code. A user's mistake is one line (plus a pointer to the
 * command's help) and exit 2; a known failure (a busy port, a damaged
 * checkpoint file, an unreachable endpoint) is its message and exit 1; only an
 * unexpected error shows its stack trace, and only with `STREAMFOLD_DEBUG=1`.
 */
export function reportCommandError(
  command: string,
  error: unknown,
  context: Pick<CommandContext, 'err' | 'env'>,
): number {
  const { err } = context;
  const debug = context.env[DEBUG_ENV_VAR] === '1';
  const prefix = command === '' ? 'streamfold' : `streamfold ${command}`;
  // Messages quote values (a configuration's, a table's, an API's); none may act on the terminal.
  const message = escapeForTerminal(error instanceof Error ? error.message : String(error), {
    keepLineBreaks: true,
  });
  const stack = debug && error instanceof Error && error.stack ? `${error.stack}\n` : '';
  if (ARGUMENT_ERRORS.some((type) => error instanceof type)) {
    err.write(`${prefix}: ${message}\nRun "${prefix} --help" for the options.\n`);
    return 2;
  }
  if (error instanceof ConfigError) {
    err.write(`${prefix}: ${message}\n${stack}`);
    return 2;
  }
  if (KNOWN_FAILURES.some((type) => error instanceof type)) {
    err.write(`${prefix}: ${message}\n${stack}`);
    return error instanceof CliError ? error.exitCode : 1;
  }
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && SYSTEM_ERROR_CODES.has(code)) {
    const hint =
      code === 'ECONNREFUSED'
        ? '\nIs "streamfold start" running there? --host and --<service>-port (or STREAMFOLD_HOST, STREAMFOLD_<SERVICE>_PORT) choose where to connect.'
        : '';
    err.write(`${prefix}: ${message}${hint}\n${stack}`);
    return 1;
  }
  err.write(
    `${prefix} failed: ${message}\n${stack || `(an unexpected error: ${DEBUG_ENV_VAR}=1 shows its stack trace)\n`}`,
  );
  return 1;
}
