/**
 * The reconcile operator command: recomputes aggregates from the archive,
 * reports drift, repairs it or backfills a new metric.
 * Run with `tsx ops/reconcile/main.ts [options]`; `--help` lists the options.
 */
import { loadConfig } from '../../core/config/loadConfig.js';
import { ReconcileArgsError } from './errors.js';
import { parseReconcileArgs, RECONCILE_HELP } from './parseReconcileArgs.js';
import { runReconcileCommand } from './runReconcileCommand.js';

async function main(): Promise<number> {
  const args = parseReconcileArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(RECONCILE_HELP);
    return 0;
  }
  const { exitCode } = await runReconcileCommand(args, { config: loadConfig() });
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ReconcileArgsError) {
      process.stderr.write(
        `${error.message}\n\nRun "npm run reconcile -- --help" for the options.\n`,
      );
      process.exit(2);
    }
    process.stderr.write(
      `reconcile failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
