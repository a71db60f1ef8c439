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
import { STAGES, type Stage } from '../../infra/defaults.js';
import { ArchiveArgsError } from './errors.js';
import { ARCHIVE_FORMATS, type ArchiveFormat } from './formatArchiveResult.js';

/** Usage text of the archive command. */
export const ARCHIVE_HELP = `Usage: streamfold archive query "SQL" [options]
       streamfold archive query --named NAME [options]
       streamfold archive queries [--stage S]
       (npm run archive -- … is the same)

SQL over the raw-event archive with DuckDB, on this machine. The archive
objects that arrived in the range (whole arrival hours: the archive is
partitioned by arrival time) are listed under their hour prefixes only,
downloaded once into a local cache, and read as the view "events", with the
same columns as the Glue table Athena queries: id, type, time, source, data
(a struct of every event field, e.g. data.amount), year, month, day, hour.
"raw_events" always holds every archived line.

  query "SQL"      run SQL against events
  query --named N  run the stack's saved Athena query N, the same SQL Athena runs
                   (over "<glue database>"."events"; see "queries")
  queries          list the saved queries of the stack (id, name, description)

Options:
  --since T        arrivals from T: a duration back from now (15m, 1h, 2d), an ISO
                   8601 time with offset, or "all" for the whole archive
                   (default 24h; with --named, the start of today, UTC)
  --until T        arrivals before T, same forms or "now" (default now)
  --json           print the rows as JSON on stdout
  --format F       table or csv (default table)
  --dedupe         events holds one row per id (the copy with the earliest time)
  --target T       local or aws (default local). local: the S3 endpoint of
                   "streamfold start"; aws: the default credential chain
  --stage S        stack stage: dev or prod (default dev); names the Glue database
                   of the saved queries
  --bucket NAME    archive bucket (local default from the config; required
                   with --target aws: the stack output ArchiveBucketName)
  --region R       with --target aws: AWS region (default from the environment)
  --cache-dir DIR  where objects are cached (default .data/archive-cache/<bucket>/)

${COMMON_HELP}
${LOCAL_STACK_HELP}
Exit codes: 0 answered; 1 the SQL failed (DuckDB's message on one line) or the
archive cannot be read; 2 bad arguments (no saved query has that name too).

Examples:
  streamfold archive query "SELECT type, count(*) FROM events GROUP BY 1" --since 1h
  streamfold archive query "SELECT data.country, sum(data.amount) FROM events WHERE type = 'purchase' GROUP BY 1" --dedupe --format csv
  streamfold archive query --named revenue --json
  streamfold archive query "SELECT count(*) FROM events" --target aws --stage prod --bucket <ArchiveBucketName> --since 2026-11-22T00:00:00Z --until 2026-11-23T00:00:00Z
`;

/** Parsed and checked archive command arguments. */
export interface ArchiveArgs {
  help: boolean;
  subcommand: 'query' | 'queries';
  /** SQL to run, for `query` without `--named`. */
  sql: string | undefined;
  /** Saved query id or name, for `query --named`. */
  named: string | undefined;
  /** Start of the arrival range; undefined reads the whole archive. */
  since: Date | undefined;
  until: Date;
  format: ArchiveFormat;
  dedupe: boolean;
  target: 'local' | 'aws';
  stage: Stage;
  bucket: string | undefined;
  region: string | undefined;
  cacheDir: string | undefined;
}

const DAY_MS = 86_400_000;

/** The options of `streamfold archive`. */
export const ARCHIVE_ARGS_SPEC: CommandArgsSpec = {
  options: {
    ...EVERY_COMMAND_OPTIONS,
    ...JSON_OPTIONS,
    ...TIME_RANGE_OPTIONS,
    ...TARGET_OPTIONS,
    ...LOCAL_STACK_OPTIONS,
    named: { type: 'string' },
    format: { type: 'string' },
    dedupe: { type: 'boolean' },
    bucket: { type: 'string' },
    'cache-dir': { type: 'string' },
  },
  positionals: true,
  error: (message) => new ArchiveArgsError(message),
};

/**
 * Parses the archive command's arguments.
 *
 * @param nowMs the current time, for durations and "now"
 * @throws {ArchiveArgsError} naming the option or argument that is wrong
 */
export function parseArchiveArgs(argv: readonly string[], nowMs = Date.now()): ArchiveArgs {
  const args = parseCommandArgs(argv, ARCHIVE_ARGS_SPEC);
  const positionals = [...args.positionals];
  const values = {
    help: args.flag('help'),
    target: args.target(),
    format: args.text('format'),
    stage: args.text('stage') ?? 'dev',
    named: args.text('named'),
    since: args.text('since'),
    until: args.text('until'),
    bucket: args.text('bucket'),
    region: args.text('region'),
    'cache-dir': args.text('cache-dir'),
  };
  const help = values.help;
  const target = values.target;
  if (args.flag('json') && values.format !== undefined && values.format !== 'json') {
    throw new ArchiveArgsError(
      `--json and --format ${values.format} cannot be combined: --json prints JSON`,
    );
  }
  // --format json, the older spelling of --json, is still read.
  const format = args.flag('json') ? 'json' : (values.format ?? 'table');
  if (!ARCHIVE_FORMATS.includes(format as ArchiveFormat)) {
    throw new ArchiveArgsError(
      `--format must be table or csv, or --json for JSON (given "${format}")`,
    );
  }
  const stage = values.stage;
  if (!STAGES.includes(stage as Stage)) {
    throw new ArchiveArgsError(`--stage must be one of ${STAGES.join(', ')} (given "${stage}")`);
  }
  const [subcommand, ...operands] = positionals;
  const named = values.named;
  let sql: string | undefined;
  if (!help) {
    if (subcommand !== 'query' && subcommand !== 'queries') {
      throw new ArchiveArgsError(
        `the first argument must be query or queries (given ${subcommand === undefined ? 'none' : `"${subcommand}"${didYouMeanSuffix(subcommand, ['query', 'queries'])}`})`,
      );
    }
    if (subcommand === 'queries') {
      if (operands.length > 0 || named !== undefined) {
        throw new ArchiveArgsError(
          `queries takes no SQL and no --named (given "${[...operands, named ?? ''].join(' ').trim()}")`,
        );
      }
    } else if (named !== undefined) {
      if (operands.length > 0) {
        throw new ArchiveArgsError(
          `query --named runs a saved query and takes no SQL (given "${operands.join(' ')}")`,
        );
      }
    } else if (operands.length !== 1 || (operands[0] as string).trim() === '') {
      throw new ArchiveArgsError(
        `query needs one SQL statement in quotes, or --named NAME (given ${operands.length === 0 ? 'none' : operands.map((o) => JSON.stringify(o)).join(' ')})`,
      );
    } else {
      sql = operands[0];
    }
  }
  const until =
    values.until === undefined || values.until === 'now'
      ? new Date(nowMs)
      : new Date(time('until', values.until, nowMs));
  const sinceText = values.since;
  const since =
    sinceText === 'all'
      ? undefined
      : sinceText !== undefined
        ? new Date(time('since', sinceText, nowMs))
        : new Date(named !== undefined ? nowMs - (nowMs % DAY_MS) : nowMs - DAY_MS);
  if (since) {
    checkTimeRange(since.getTime(), until.getTime(), (message) => new ArchiveArgsError(message));
  }
  if (target === 'aws' && values.bucket === undefined && !help && subcommand === 'query') {
    throw new ArchiveArgsError(
      '--bucket is required with --target aws: the stack names the archive bucket (output ArchiveBucketName)',
    );
  }
  return {
    help,
    subcommand: subcommand === 'queries' ? 'queries' : 'query',
    sql,
    named,
    since,
    until,
    format: format as ArchiveFormat,
    dedupe: args.flag('dedupe'),
    target,
    stage: stage as Stage,
    bucket: values.bucket,
    region: values.region,
    cacheDir: values['cache-dir'],
  };
}

function time(name: 'since' | 'until', text: string, nowMs: number): number {
  return parseTimeOption(name, text, nowMs, (message) => new ArchiveArgsError(message));
}
