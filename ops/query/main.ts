/**
 * The query command: reads aggregates with the query API's functions.
 * Run with `tsx ops/query/main.ts [subcommand] [METRIC] [options]`; `--help` lists them.
 */
import { loadConfig } from '../../core/config/loadConfig.js';
import { QueryArgsError } from './errors.js';
import { parseQueryArgs, QUERY_HELP } from './parseQueryArgs.js';
import { runQueryCommand } from './runQueryCommand.js';

async function main(): Promise<number> {
  const args = parseQueryArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(QUERY_HELP);
    return 0;
  }
  return runQueryCommand(args, { config: loadConfig() });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof QueryArgsError) {
      process.stderr.write(`${error.message}\n\nRun "npm run query -- --help" for the options.\n`);
      process.exit(2);
    }
    process.stderr.write(
      `query failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
