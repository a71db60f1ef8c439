import { BENCH_ARGS_SPEC, BENCH_HELP, parseBenchArgs } from '../../bench/parseBenchArgs.js';
import { commandConfig } from '../commandConfig.js';
import type { Subcommand } from '../Subcommand.js';
import { untilStopRequest } from '../untilStopRequest.js';

/**
 * `streamfold bench`: measures streamfold against naive baselines and writes the results.
 * SIGINT, SIGTERM or SIGHUP abandon the run with exit code 1.
 */
export const benchCommand: Subcommand = {
  name: 'bench',
  help: BENCH_HELP,
  spec: BENCH_ARGS_SPEC,
  run: async (argv, context) => {
    const args = parseBenchArgs(argv);
    const config = await commandConfig(argv, BENCH_ARGS_SPEC, context);
    const { runBench } = await import('../../bench/main.js');
    return untilStopRequest(
      'bench',
      runBench(args, config).then(() => 0),
      context.err,
    );
  },
};
