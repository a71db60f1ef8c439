/**
 * The archive command: SQL over the raw-event archive with DuckDB.
 * Run with `tsx ops/archive/main.ts query "SQL" [options]`; `--help` lists them.
 */
import { loadConfig } from '../../core/config/loadConfig.js';
import { ArchiveArgsError } from './errors.js';
import { ARCHIVE_HELP, parseArchiveArgs } from './parseArchiveArgs.js';
import { runArchiveCommand } from './runArchiveCommand.js';

async function main(): Promise<number> {
  const args = parseArchiveArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(ARCHIVE_HELP);
    return 0;
  }
  return runArchiveCommand(args, { config: loadConfig() });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ArchiveArgsError) {
      process.stderr.write(
        `${error.message}\n\nRun "npm run archive -- --help" for the options.\n`,
      );
      process.exit(2);
    }
    process.stderr.write(
      `archive query failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
