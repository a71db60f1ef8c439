import { parseArgs } from 'node:util';
import { QueryArgsError } from './errors.js';

/** Usage text of the query command. */
export const QUERY_HELP = `Usage: npm run query -- [series] METRIC [options]
       npm run query -- top METRIC [--by count|sum|avg|max] [options]
       npm run query -- groups METRIC [options]
       npm run query -- metrics

Reads the aggregates with the query API's own functions, straight from the
DynamoDB table: the local one of "npm start", or a deployed stage's.

  series METRIC   one row per bucket: count and the figures the metric keeps
                  (sum, avg, min, max, p50, p90, p99); every page is read
  top METRIC      groups ranked by --by, figures combined over the range
  groups METRIC   groups seen in the range, with their counts
  metrics         the declared metrics, their groups, stats and windows

Options:
  --group G       series: the group as stored, e.g. country=DE (default *, ungrouped)
  --window W      bucket size, one of the metric's windows (default its first)
  --since T       ISO 8601 time with offset, or a duration back from now: 15m, 1h, 2d
                  (default 100 buckets before --until)
  --until T       same forms (default now)
  --by F          top: count, sum, avg or max (default count)
  --limit N       top: groups to show (default 10)
  --json          print the API's JSON instead of a table (series: all pages' points)
  --target T      local or aws (default local). local: the DynamoDB endpoint of
                  "npm start" from streamfold.config.ts; aws: the default credential chain
  --stage S       with --target aws: stack stage, for the table name (default dev)
  --table NAME    table to read (default from streamfold.config.ts, plus -<stage> on aws)
  --region R      with --target aws: AWS region (default from the environment)
  -h, --help      show this help

Exit codes: 0 answered; 1 the query was refused (bad parameter, unknown metric)
or the table cannot be read; 2 bad arguments.

Examples:
  npm run query -- revenue --group country=DE --window 1m --since 1h
  npm run query -- top revenue --by sum --window 1h --since 1d
  npm run query -- metrics --json
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

/**
 * Parses the query command's arguments. Values of query parameters are
 * passed on as given: the API's own parsing checks them, with its messages.
 *
 * @throws {QueryArgsError} naming the option or argument that is wrong
 */
export function parseQueryArgs(argv: readonly string[]): QueryArgs {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: {
        group: { type: 'string' },
        window: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        by: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean', default: false },
        target: { type: 'string', default: 'local' },
        stage: { type: 'string', default: 'dev' },
        table: { type: 'string' },
        region: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (error) {
    throw new QueryArgsError((error as Error).message);
  }
  const help = values.help === true;
  const target = values.target as string;
  if (target !== 'local' && target !== 'aws') {
    throw new QueryArgsError(`--target must be local or aws (given "${target}")`);
  }
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
      throw new QueryArgsError(
        `${subcommand} needs one METRIC (given ${operands.length === 0 ? 'none' : `"${operands.join(' ')}"`})`,
      );
    }
    parameters.set('metric', operands[0] as string);
  }
  const allowed: Record<QuerySubcommand, readonly string[]> = {
    series: ['group', 'window', 'since', 'until'],
    top: ['window', 'since', 'until', 'by', 'limit'],
    groups: ['window', 'since', 'until'],
    metrics: [],
  };
  for (const name of ['group', 'window', 'since', 'until', 'by', 'limit']) {
    const value = values[name];
    if (typeof value !== 'string') continue;
    if (!allowed[subcommand].includes(name)) {
      throw new QueryArgsError(`--${name} does not apply to ${subcommand} (given "${value}")`);
    }
    parameters.set(name, value);
  }
  return {
    help,
    subcommand,
    parameters,
    json: values.json === true,
    target,
    stage: values.stage as string,
    table: values.table as string | undefined,
    region: values.region as string | undefined,
  };
}
