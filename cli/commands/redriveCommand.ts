import {
  parseRedriveArgs,
  REDRIVE_ARGS_SPEC,
  REDRIVE_HELP,
} from '../../ops/redrive/parseRedriveArgs.js';
import { commandConfig } from '../commandConfig.js';
import type { Subcommand } from '../Subcommand.js';

/** `streamfold redrive`: applies Lambda on-failure records to the aggregates, exactly once. */
export const redriveCommand: Subcommand = {
  name: 'redrive',
  help: REDRIVE_HELP,
  spec: REDRIVE_ARGS_SPEC,
  run: async (argv, context) => {
    const args = parseRedriveArgs(argv, context.now());
    const config = await commandConfig(argv, REDRIVE_ARGS_SPEC, context);
    const { runRedriveCommand } = await import('../../ops/redrive/runRedriveCommand.js');
    // With --json the text summary is left out and the summary itself printed instead.
    const out = args.json ? { write: () => true } : context.out;
    const { exitCode, summary } = await runRedriveCommand(args, { config, out, err: context.err });
    if (args.json) context.out.write(`${JSON.stringify(summary, null, 2)}\n`);
    return exitCode;
  },
};
