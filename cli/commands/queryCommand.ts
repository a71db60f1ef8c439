import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import { QueryArgsError } from '../../ops/query/errors.js';
import { parseQueryArgs, QUERY_ARGS_SPEC, QUERY_HELP } from '../../ops/query/parseQueryArgs.js';
import { checkMetricNames } from '../checkMetricNames.js';
import { commandConfig } from '../commandConfig.js';
import { didYouMean } from '../didYouMean.js';
import type { Subcommand } from '../Subcommand.js';

/** The forms of the query command, which a first argument may have misspelt. */
const QUERY_FORMS = ['series', 'top', 'groups', 'metrics'] as const;

function metricNames(config: StreamfoldConfig): string[] {
  return config.metrics.map((metric) => metric.name);
}

/** `streamfold query`: reads the aggregates with the query API's functions. */
export const queryCommand: Subcommand = {
  name: 'query',
  help: QUERY_HELP,
  spec: QUERY_ARGS_SPEC,
  run: async (argv, context) => {
    const args = parseQueryArgs(argv, context.now());
    const config = await commandConfig(argv, QUERY_ARGS_SPEC, context);
    const metric = args.parameters.get('metric');
    if (metric !== null) {
      const form = QUERY_FORMS.find((name) => name === didYouMean(metric, QUERY_FORMS));
      const declared = config.metrics.some((m) => m.name === metric);
      // `streamfold query metrcs` reads as a series of metric "metrcs"; the form was meant.
      if (
        !declared &&
        form !== undefined &&
        didYouMean(metric, metricNames(config)) === undefined
      ) {
        throw new QueryArgsError(
          `unknown metric ${metric} (did you mean streamfold query ${form}?)`,
        );
      }
      checkMetricNames([metric], config, (message) => new QueryArgsError(message));
    }
    const { runQueryCommand } = await import('../../ops/query/runQueryCommand.js');
    return runQueryCommand(args, { config, now: context.now, out: context.out, err: context.err });
  },
};
