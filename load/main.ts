/**
 * `npm run load`: drives the pipeline at a steady rate and reports, optionally verifying the aggregates.
 */
import { loadConfig } from '../core/config/loadConfig.js';
import { LOAD_HELP, LoadArgsError, parseLoadArgs } from './parseLoadArgs.js';
import { runLoadCommand } from './runLoadCommand.js';

async function main(): Promise<number> {
  const args = parseLoadArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(LOAD_HELP);
    return 0;
  }
  const { exitCode } = await runLoadCommand(args, { config: loadConfig() });
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof LoadArgsError) {
      process.stderr.write(`${error.message}\n\nRun "npm run load -- --help" for the options.\n`);
      process.exit(2);
    }
    process.stderr.write(
      `load test failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
