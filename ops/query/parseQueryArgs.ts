import {
  COMMON_HELP,
  EVERY_COMMAND_OPTIONS,
  JSON_OPTIONS,
  LOCAL_STACK_HELP,
  LOCAL_STACK_OPTIONS,
  TARGET_OPTIONS,
  TIME_RANGE_OPTIONS,
} from '../../cli/commonOptions.js';
import { didYouMeanSuffix } from '../../cli/didYouMean.js';
import { type CommandArgsSpec, parseCommandArgs } from '../../cli/parseCommandArgs.js';
import { checkTimeRange, parseTimeOption } from '../../cli/parseTimeOption.js';
import { QueryArgsError } from './errors.js';

/** Usage text of the query command. */
export const QUERY_HELP = `Usage: streamfold query [series] METRIC [options]
       streamfold query top METRIC [--by count|sum|avg|max] [options]
       streamfold query groups METRIC [options]
       streamfold query metrics
       (npm run query -- … is the same)

Reads the aggregates with the query API's own functions, straight from the
DynamoDB table: the local one of "streamfold start", or a deployed stage's.

  series METRIC   one row per bucket: count and the figures the metric keeps
                  (sum, avg, min, max, p50, p90, p99); every page is read
  top METRIC      groups ranked by --by, figures combined over the range
  groups METRIC   groups seen in the range, with their counts
  metrics         the declared metrics, their groups, stats and windows

Options:
  --group G       series: the group as stored, e.g. country=DE (default *, ungrouped)
  --window W      bucket size, one of the metric's windows (default its first)
  --since T       a duration back from now (15m, 1h, 2d) or an ISO 8601 time with offset
                  (default 100 buckets before --until)
  --until T       same forms, or now (default now)
  --by F          top: count, sum, avg or max (default count)
  --limit N       top: groups to show (default 10)
  --json          print the API's JSON instead of a table (series: all pages' points)
  --target T      local or aws (default local). local: the DynamoDB endpoint of
                  "streamfold start"; aws: the default credential chain
  --stage S       with --target aws: stack stage, for the table name (default dev)
  --table NAME    table to read (default from the config, plus -<stage> on aws)
  --region R      with --target aws: AWS region (default from the environment)

${COMMON_HELP}
${LOCAL_STACK_HELP}
Exit codes: 0 answered; 1 the table cannot be read; 2 bad arguments (an unknown
option, metric or group, a value the query API refuses: --by, --window, --limit,
a --since/--until range over 10,000 buckets).

Examples:
  streamfold query revenue --group country=DE --window 1m --since 1h
  streamfold query top revenue --by sum --window 1h --since 1d
  streamfold query metrics --json
`;

/** What the command is asked for. */
export type QuerySubcommand = 'series' | 'top' | 'groups' | 'metrics';

/** Parsed query command arguments. */
export interface QueryArgs {
  help: boolean;
  subcommand: QuerySubcommand;
  /** Query parameters for the API, as it would receive them. */
  parameters: URLSearchParams;
  json: boolean;
  target: 'local' | 'aws';
  stage: string;
  table: string | undefined;
  region: string | undefined;
}

const SUBCOMMANDS: readonly QuerySubcommand[] = ['series', 'top', 'groups', 'metrics'];

/** The options of `streamfold query`. */
export const QUERY_ARGS_SPEC: CommandArgsSpec = {
  options: {
    ...EVERY_COMMAND_OPTIONS,
    ...JSON_OPTIONS,
    ...TIME_RANGE_OPTIONS,
    ...TARGET_OPTIONS,
    ...LOCAL_STACK_OPTIONS,
    group: { type: 'string' },
    window: { type: 'string' },
    by: { type: 'string' },
    limit: { type: 'string' },
    table: { type: 'string' },
  },
  positionals: true,
  error: (message) => new QueryArgsError(message),
};

/**
 * Parses the query command's arguments. `--since` and `--until` are checked
 * here, in the form every command takes; other values of query parameters are
 * passed on as given: the API's own parsing checks them, with its messages.
 *
 * @param nowMs the current time, for checking `--since` and `--until`
 * @throws {QueryArgsError} naming the option or argument that is wrong
 */
export function parseQueryArgs(argv: readonly string[], nowMs = Date.now()): QueryArgs {
  const args = parseCommandArgs(argv, QUERY_ARGS_SPEC);
  const help = args.flag('help');
  const target = args.target();
  const positionals = args.positionals;
  const [first, ...rest] = positionals;
  const subcommand: QuerySubcommand = SUBCOMMANDS.includes(first as QuerySubcommand)
    ? (first as QuerySubcommand)
    : 'series';
  const operands = subcommand === first ? rest : positionals;
  const parameters = new URLSearchParams();
  if (subcommand === 'metrics') {
    if (operands.length > 0) {
      throw new QueryArgsError(`metrics takes no argument (given "${operands.join(' ')}")`);
    }
  } else if (!help) {
    if (operands.length !== 1) {
      const given = operands.length === 0 ? 'none' : `"${operands.join(' ')}"`;
      // `streamfold query metrcs` reads as series of metric "metrcs": say which form was meant.
      const hint = subcommand === 'series' && first ? didYouMeanSuffix(first, SUBCOMMANDS) : '';
      throw new QueryArgsError(`${subcommand} needs one METRIC (given ${given})${hint}`);
    }
    parameters.set('metric', operands[0] as string);
  }
  const allowed: Record<QuerySubcommand, readonly string[]> = {
    series: ['group', 'window', 'since', 'until'],
    top: ['window', 'since', 'until', 'by', 'limit'],
    groups: ['window', 'since', 'until'],
    metrics: [],
  };
  const times: { since?: number; until?: number } = {};
  for (const name of ['group', 'window', 'since', 'until', 'by', 'limit']) {
    const value = args.text(name);
    if (value === undefined) continue;
    if (!allowed[subcommand].includes(name)) {
      throw new QueryArgsError(`--${name} does not apply to ${subcommand} (given "${value}")`);
    }
    if (name === 'since' || name === 'until') {
      times[name] = parseTimeOption(name, value, nowMs, (message) => new QueryArgsError(message));
      // The API reads durations back from its own now; "now" is a duration of 0 back from it.
      parameters.set(name, value === 'now' ? '0s' : value);
      continue;
    }
    parameters.set(name, value);
  }
  if (times.since !== undefined) {
    checkTimeRange(times.since, times.until ?? nowMs, (message) => new QueryArgsError(message));
  }
  return {
    help,
    subcommand,
    parameters,
    json: args.flag('json'),
    target,
    stage: args.text('stage') ?? 'dev',
    table: args.text('table'),
    region: args.text('region'),
  };
}
