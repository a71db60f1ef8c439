/**
 * The redrive operator command: puts Lambda on-failure records back on the stream.
 * Run with `tsx ops/redrive/main.ts [options]`; `--help` lists the options.
 */
import { loadConfig } from '../../core/config/loadConfig.js';
import { RedriveArgsError } from './errors.js';
import { parseRedriveArgs, REDRIVE_HELP } from './parseRedriveArgs.js';
import { runRedriveCommand } from './runRedriveCommand.js';

async function main(): Promise<number> {
  const args = parseRedriveArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(REDRIVE_HELP);
    return 0;
  }
  const { exitCode } = await runRedriveCommand(args, { config: loadConfig() });
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof RedriveArgsError) {
      process.stderr.write(
        `${error.message}\n\nRun "npm run redrive -- --help" for the options.\n`,
      );
      process.exit(2);
    }
    process.stderr.write(
      `redrive failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
