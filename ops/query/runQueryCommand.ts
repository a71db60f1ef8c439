import { ALL_GROUP } from '../../core/aggregates/compileMetrics.js';
import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import { escapeForTerminal } from '../../core/text/escapeForTerminal.js';
import type {
  GroupsResponse,
  MetricsResponse,
  SeriesPoint,
  SeriesResponse,
  TopResponse,
} from '../../functions/query/queryAggregates.js';
import { answerQueryRequest, type QueryResponse } from '../../functions/query/queryRoutes.js';
import { checkQueryParameters, commandLineErrorOf } from './checkQueryParameters.js';
import { connectQueryTarget, type QueryTarget } from './connectQueryTarget.js';
import { formatQueryTable } from './formatQueryTable.js';
import type { QueryArgs } from './parseQueryArgs.js';

/** What {@link runQueryCommand} needs from its surroundings. */
export interface QueryCommandContext {
  config: StreamfoldConfig;
  /** Builds the target; replaceable so tests can point at emulators on ephemeral ports. */
  connect?: (args: QueryArgs, config: StreamfoldConfig) => Promise<QueryTarget>;
  /** Current time, ms since the epoch. @default Date.now */
  now?: () => number;
  out?: { write(text: string): unknown };
  err?: { write(text: string): unknown };
}

/** Most series pages read in one run (1,000 points each): the API's 10,000-bucket range fits. */
const MAX_SERIES_PAGES = 20;

/**
 * API errors that mean a name the user typed does not exist: a bad argument (exit 2), like an
 * unknown option, as is every 400 (a value the API refuses).
 */
const BAD_ARGUMENT_ERRORS: ReadonlySet<string> = new Set(['unknown_metric', 'unknown_group']);

/** Column order of series rows; only the figures present are shown. */
const SERIES_COLUMNS = ['count', 'sum', 'avg', 'min', 'max', 'p50', 'p90', 'p99'] as const;
/** Column order of top rows. */
const TOP_COLUMNS = ['count', 'sum', 'avg', 'min', 'max'] as const;

/**
 * The query command: answers the request with the query API's own
 * `answerQueryRequest` over the target table and prints a table, or the
 * API's JSON with `--json`. A series is read page by page to the end; on a
 * grouped metric without `--group` it is the total over all groups.
 *
 * @returns exit code 0 when answered (an empty range too); 1 when the query was refused otherwise
 * @throws {QueryArgsError} for a value the API refuses or a metric or group that does not exist,
 *   naming the flag (exit 2)
 * @throws the table's error when it cannot be read (ECONNREFUSED when nothing listens)
 */
export async function runQueryCommand(
  args: QueryArgs,
  context: QueryCommandContext,
): Promise<number> {
  const out = context.out ?? process.stdout;
  const err = context.err ?? process.stderr;
  const now = context.now ?? (() => Date.now());
  // A value the API would refuse is a bad argument, named by its flag before anything connects.
  checkQueryParameters(args, context.config, now());
  const target = await (context.connect ?? connectQueryTarget)(args, context.config);
  try {
    const dependencies = {
      dynamodb: target.dynamodb,
      tableName: target.tableName,
      settings: context.config,
      now,
    };
    let failure: unknown;
    const ask = (query: URLSearchParams) =>
      answerQueryRequest(
        { method: 'GET', path: `/api/${args.subcommand}`, query },
        dependencies,
        (error) => {
          failure = error;
        },
      );
    const first = new URLSearchParams(args.parameters);
    // Whole series are printed: the largest pages mean the fewest round trips.
    if (args.subcommand === 'series') first.set('limit', '1000');
    let response = await ask(first);
    if (args.subcommand === 'series' && response.status === 200) {
      response = await readRemainingPages(response, args.parameters, ask);
    }
    // The API's functions ran here, so there is no server log: the table's own error is the
    // failure (ECONNREFUSED: is "streamfold start" running?), reported as every command does.
    if (failure !== undefined) throw failure;
    if (response.status !== 200) {
      const body = response.body as { error: string; message: string };
      if (response.status === 400 || BAD_ARGUMENT_ERRORS.has(body.error)) {
        throw commandLineErrorOf(body.message);
      }
      // The API quotes what it was given and what it found (group names are event values).
      const message = escapeForTerminal(body.message, { keepLineBreaks: true });
      err.write(
        `${message} [${response.status} ${escapeForTerminal(body.error)}] on ${target.description}\n`,
      );
      return 1;
    }
    out.write(
      `${args.json ? JSON.stringify(response.body, null, 2) : formatBody(args, response.body)}\n`,
    );
    return 0;
  } finally {
    target.close();
  }
}

async function readRemainingPages(
  first: QueryResponse,
  parameters: URLSearchParams,
  ask: (query: URLSearchParams) => Promise<QueryResponse>,
): Promise<QueryResponse> {
  const body = first.body as SeriesResponse;
  const points = [...body.points];
  let cursor = body.nextCursor;
  for (let page = 1; cursor !== undefined && page < MAX_SERIES_PAGES; page++) {
    const query = new URLSearchParams(parameters);
    query.set('limit', '1000');
    query.set('cursor', cursor);
    const next = await ask(query);
    if (next.status !== 200) return next;
    const nextBody = next.body as SeriesResponse;
    points.push(...nextBody.points);
    cursor = nextBody.nextCursor;
  }
  const { nextCursor: _read, ...rest } = body;
  return { ...first, body: { ...rest, points, ...(cursor ? { nextCursor: cursor } : {}) } };
}

/**
 * The line above a series: what was read and how many buckets, saying
 * whether it is a total over groups and, when empty, why.
 */
function seriesTitle(series: SeriesResponse): string {
  const buckets = `${series.points.length} buckets`;
  if (series.scope === 'total') {
    const head = `${series.metric} per ${series.window}: ${buckets}`;
    // The label each group key starts with: `data.country` groups read `country=DE`.
    const labels = (series.groupBy ?? []).map((path) => path.split('.').at(-1) ?? path).join(', ');
    if (series.points.length === 0)
      return `${head} (no group of ${labels} has events in the range)`;
    const hint =
      series.largestGroup === undefined ? '' : `; --group ${series.largestGroup} for one`;
    return `${head}, total over ${series.groupCount ?? 0} groups (${labels})${hint}`;
  }
  const head = `${series.metric} ${series.group} per ${series.window}: ${buckets}`;
  if (series.points.length > 0) return head;
  // The API answers a named group with no item at all with 404 unknown_group, so this one exists.
  return series.group === ALL_GROUP
    ? `${head} (none in the range)`
    : `${head} (none in the range; the group has events at other times)`;
}

function formatBody(args: QueryArgs, body: unknown): string {
  switch (args.subcommand) {
    case 'series': {
      const series = body as SeriesResponse;
      // Titles name groups, which are event values.
      const title = escapeForTerminal(seriesTitle(series));
      if (series.points.length === 0) return title;
      const columns = SERIES_COLUMNS.filter((name) =>
        series.points.some((p) => p[name] !== undefined),
      );
      return `${title}\n${formatQueryTable(
        ['bucket', ...columns],
        series.points.map((point: SeriesPoint) => [
          point.bucket,
          ...columns.map((name) => point[name]),
        ]),
      )}`;
    }
    case 'top': {
      const top = body as TopResponse;
      const title = escapeForTerminal(
        `${top.metric} per ${top.window}: top ${top.groups.length} groups by ${top.by}`,
      );
      const columns = TOP_COLUMNS.filter((name) => top.groups.some((g) => g[name] !== undefined));
      return `${title}\n${formatQueryTable(
        ['group', ...columns],
        top.groups.map((group) => [group.group, ...columns.map((name) => group[name])]),
      )}`;
    }
    case 'groups': {
      const groups = body as GroupsResponse;
      const title = escapeForTerminal(
        `${groups.metric} per ${groups.window}: ${groups.groups.length} groups`,
      );
      return `${title}\n${formatQueryTable(
        ['group', 'count'],
        groups.groups.map((group) => [group.group, group.count]),
      )}`;
    }
    case 'metrics': {
      const { metrics } = body as MetricsResponse;
      return formatQueryTable(
        ['metric', 'on', 'value', 'groupBy', 'stats', 'windows'],
        metrics.map((m) => [
          m.name,
          m.on.join(','),
          m.value ?? '-',
          m.groupBy.join(',') || '-',
          m.stats.join(','),
          m.windows.join(','),
        ]),
      );
    }
  }
}
