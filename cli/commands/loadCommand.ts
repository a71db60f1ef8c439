import { LOAD_ARGS_SPEC, LOAD_HELP, parseLoadArgs } from '../../load/parseLoadArgs.js';
import { commandConfig } from '../commandConfig.js';
import type { Subcommand } from '../Subcommand.js';
import { untilStopRequest } from '../untilStopRequest.js';

/**
 * `streamfold load`: drives the pipeline at a steady rate and reports, optionally verifying.
 * SIGINT, SIGTERM or SIGHUP abandon the run with exit code 1.
 */
export const loadCommand: Subcommand = {
  name: 'load',
  help: LOAD_HELP,
  spec: LOAD_ARGS_SPEC,
  run: async (argv, context) => {
    const args = parseLoadArgs(argv);
    const config = await commandConfig(argv, LOAD_ARGS_SPEC, context);
    // Imported here: the producer, the SDK and the worker are not needed for --help or a typo.
    const { runLoadCommand } = await import('../../load/runLoadCommand.js');
    return untilStopRequest(
      'load',
      runLoadCommand(args, { config }).then((result) => result.exitCode),
      context.err,
    );
  },
};
