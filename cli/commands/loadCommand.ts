import { LOAD_ARGS_SPEC, LOAD_HELP, parseLoadArgs } from '../../load/parseLoadArgs.js';
import { commandConfig } from '../commandConfig.js';
import type { Subcommand } from '../Subcommand.js';

/** `streamfold load`: drives the pipeline at a steady rate and reports, optionally verifying. */
export const loadCommand: Subcommand = {
  name: 'load',
  help: LOAD_HELP,
  spec: LOAD_ARGS_SPEC,
  run: async (argv, context) => {
    const args = parseLoadArgs(argv);
    const config = await commandConfig(argv, LOAD_ARGS_SPEC, context);
    // Imported here: the producer, the SDK and the worker are not needed for --help or a typo.
    const { runLoadCommand } = await import('../../load/runLoadCommand.js');
    const { exitCode } = await runLoadCommand(args, { config });
    return exitCode;
  },
};
