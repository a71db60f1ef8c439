import { readFileSync } from 'node:fs';
import { escapeForTerminal } from '../core/text/escapeForTerminal.js';
import { didYouMeanSuffix } from './didYouMean.js';
import { UsageError } from './errors.js';
import { type OptionSpecs, parseCommandArgs } from './parseCommandArgs.js';
import { reportCommandError } from './reportCommandError.js';
import type { CommandContext } from './Subcommand.js';
import { SUBCOMMANDS } from './subcommands.js';

/** `streamfold --help`. */
export const STREAMFOLD_HELP = `Usage: streamfold <command> [options]
       npm start -- [options]              (streamfold start)
       npm run <command> -- [options]      (streamfold <command>)

Streaming ingestion and batch processing on AWS, runnable on one machine.

Commands:
${SUBCOMMANDS.map((entry) => `  ${entry.name.padEnd(11)}${entry.summary}`).join('\n')}

Run "streamfold <command> --help" (or "streamfold help <command>") for a command's options.

Options:
  -h, --help   show this help
  --version    print the version

Every command takes --config FILE (or STREAMFOLD_CONFIG) and --help; --json prints JSON
on stdout, --since/--until take a duration back from now (15m, 1h, 2d) or an ISO 8601
time, and --target local|aws, --stage, --region choose the stack, wherever they apply.
The commands that use the local stack take --host and --<service>-port (or
STREAMFOLD_HOST, STREAMFOLD_<SERVICE>_PORT).

Exit codes: 0 success; 1 failure; 2 bad arguments (an unknown command, option or metric,
a bad value, an invalid configuration). STREAMFOLD_DEBUG=1 shows the stack trace of an
unexpected error.
`;

/** The options `streamfold` takes before a command. */
const TOP_LEVEL_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const satisfies OptionSpecs;

/**
 * Runs `streamfold <command> [arguments]`: `--help`, `--version`, or the
 * subcommand, which gets the arguments after its name. Every error ends here
 * and becomes a message and an exit code (see `reportCommandError`).
 *
 * @returns the exit code: 0 success, 1 failure, 2 bad arguments
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), context);
 */
export async function runCli(argv: readonly string[], context: CommandContext): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    context.err.write(STREAMFOLD_HELP);
    return 2;
  }
  // `streamfold -- query` ends the options before any was given: the command follows.
  if (first === '--') return runCli(rest, context);
  if (first.startsWith('-')) {
    try {
      const args = parseCommandArgs(argv, { options: TOP_LEVEL_OPTIONS, positionals: true });
      const [operand] = args.positionals;
      if (args.flag('help') && operand !== undefined) return runCli(['help', operand], context);
      if (operand !== undefined) {
        throw new UsageError(
          `${args.flag('version') ? '--version' : first} takes no argument (given "${args.positionals.join(' ')}")`,
        );
      }
      if (args.flag('version')) context.out.write(`streamfold ${packageVersion()}\n`);
      else if (args.flag('help')) context.out.write(STREAMFOLD_HELP);
      else throw new UsageError(`an option comes after a command (given "${first}")`);
      return 0;
    } catch (error) {
      return reportCommandError('', error, context);
    }
  }
  if (first === 'help') return runHelp(rest, context);
  const entry = SUBCOMMANDS.find((candidate) => candidate.name === first);
  if (!entry) {
    const names = SUBCOMMANDS.map((candidate) => candidate.name);
    // The name is echoed: it must not be able to act on the terminal.
    context.err.write(
      `streamfold: unknown command ${escapeForTerminal(first)}${didYouMeanSuffix(first, names)}\nRun "streamfold --help" for the commands.\n`,
    );
    return 2;
  }
  try {
    const command = await entry.load();
    // Help wins over any other argument, so `streamfold query --windw --help` still helps.
    if (wantsHelp(rest)) {
      context.out.write(command.help);
      return 0;
    }
    return await command.run(rest, context);
  } catch (error) {
    return reportCommandError(entry.name, error, context);
  }
}

/**
 * `streamfold help [command]`: the help of one command, or of streamfold. An
 * option there (`help --version`) is not a command, and is refused rather
 * than run.
 */
function runHelp(argv: readonly string[], context: CommandContext): Promise<number> {
  const [name, ...extra] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    context.out.write(STREAMFOLD_HELP);
    return Promise.resolve(0);
  }
  if (name.startsWith('-') || extra.length > 0) {
    const error = new UsageError(
      `help takes one command name (given "${argv.join(' ')}")${name.startsWith('-') ? '; the commands are listed by "streamfold --help"' : ''}`,
    );
    return Promise.resolve(reportCommandError('', error, context));
  }
  return runCli([name, '--help'], context);
}

/** Whether `-h` or `--help` is among the arguments (before a `--` that ends the options). */
function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

function packageVersion(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
