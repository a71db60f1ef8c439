import { BENCH_ARGS_SPEC, BENCH_HELP, parseBenchArgs } from '../../bench/parseBenchArgs.js';
import { commandConfig } from '../commandConfig.js';
import type { Subcommand } from '../Subcommand.js';

/** `streamfold bench`: measures streamfold against naive baselines and writes the results. */
export const benchCommand: Subcommand = {
  name: 'bench',
  help: BENCH_HELP,
  spec: BENCH_ARGS_SPEC,
  run: async (argv, context) => {
    const args = parseBenchArgs(argv);
    const config = await commandConfig(argv, BENCH_ARGS_SPEC, context);
    const { runBench } = await import('../../bench/main.js');
    await runBench(args, config);
    return 0;
  },
};
