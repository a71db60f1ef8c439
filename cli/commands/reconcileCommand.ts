import { ReconcileArgsError } from '../../ops/reconcile/errors.js';
import {
  parseReconcileArgs,
  RECONCILE_ARGS_SPEC,
  RECONCILE_HELP,
} from '../../ops/reconcile/parseReconcileArgs.js';
import { checkMetricNames } from '../checkMetricNames.js';
import { commandConfig } from '../commandConfig.js';
import type { Subcommand } from '../Subcommand.js';

/** `streamfold reconcile`: recomputes aggregates from the archive, reports, repairs or backfills. */
export const reconcileCommand: Subcommand = {
  name: 'reconcile',
  help: RECONCILE_HELP,
  spec: RECONCILE_ARGS_SPEC,
  run: async (argv, context) => {
    const args = parseReconcileArgs(argv, context.now());
    const config = await commandConfig(argv, RECONCILE_ARGS_SPEC, context);
    checkMetricNames(args.metrics, config, (message) => new ReconcileArgsError(message));
    const { runReconcileCommand } = await import('../../ops/reconcile/runReconcileCommand.js');
    const { exitCode } = await runReconcileCommand(args, {
      config,
      now: context.now,
      out: context.out,
      err: context.err,
    });
    return exitCode;
  },
};
