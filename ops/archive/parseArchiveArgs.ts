import { parseArgs } from 'node:util';
import { parseQueryTime } from '../../functions/query/parseQueryParameters.js';
import { STAGES, type Stage } from '../../infra/defaults.js';
import { ArchiveArgsError } from './errors.js';
import { ARCHIVE_FORMATS, type ArchiveFormat } from './formatArchiveResult.js';

/** Usage text of the archive command. */
export const ARCHIVE_HELP = `Usage: npm run archive -- query "SQL" [options]
       npm run archive -- query --named NAME [options]
       npm run archive -- queries [--stage S]

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
  --since T        arrivals from T: ISO 8601 time with offset, a duration back
                   from now (15m, 1h, 2d), or "all" for the whole archive
                   (default 24h; with --named, the start of today, UTC)
  --until T        arrivals before T, same forms or "now" (default now)
  --format F       table, csv or json (default table)
  --dedupe         events holds one row per id (the copy with the earliest time)
  --target T       local or aws (default local). local: the S3 endpoint of
                   "npm start" from streamfold.config.ts; aws: the default credential chain
  --stage S        stack stage: dev or prod (default dev); names the Glue database
                   of the saved queries
  --bucket NAME    archive bucket (local default from streamfold.config.ts; required
                   with --target aws: the stack output ArchiveBucketName)
  --region R       with --target aws: AWS region (default from the environment)
  --cache-dir DIR  where objects are cached (default .data/archive-cache/<bucket>/)
  -h, --help       show this help

Exit codes: 0 answered; 1 the SQL failed (DuckDB's message on one line), the
archive cannot be read, or no saved query has that name; 2 bad arguments.

Examples:
  npm run archive -- query "SELECT type, count(*) FROM events GROUP BY 1" --since 1h
  npm run archive -- query "SELECT data.country, sum(data.amount) FROM events WHERE type = 'purchase' GROUP BY 1" --dedupe --format csv
  npm run archive -- query --named revenue
  npm run archive -- query "SELECT count(*) FROM events" --target aws --stage prod --bucket <ArchiveBucketName> --since 2026-11-22T00:00:00Z --until 2026-11-23T00:00:00Z
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

/**
 * Parses the archive command's arguments.
 *
 * @param nowMs the current time, for durations and "now"
 * @throws {ArchiveArgsError} naming the option or argument that is wrong
 */
export function parseArchiveArgs(argv: readonly string[], nowMs = Date.now()): ArchiveArgs {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: {
        named: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        format: { type: 'string', default: 'table' },
        dedupe: { type: 'boolean', default: false },
        target: { type: 'string', default: 'local' },
        stage: { type: 'string', default: 'dev' },
        bucket: { type: 'string' },
        region: { type: 'string' },
        'cache-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (error) {
    throw new ArchiveArgsError((error as Error).message);
  }
  const help = values.help === true;
  const target = values.target as string;
  if (target !== 'local' && target !== 'aws') {
    throw new ArchiveArgsError(`--target must be local or aws (given "${target}")`);
  }
  const format = values.format as string;
  if (!ARCHIVE_FORMATS.includes(format as ArchiveFormat)) {
    throw new ArchiveArgsError(
      `--format must be one of ${ARCHIVE_FORMATS.join(', ')} (given "${format}")`,
    );
  }
  const stage = values.stage as string;
  if (!STAGES.includes(stage as Stage)) {
    throw new ArchiveArgsError(`--stage must be one of ${STAGES.join(', ')} (given "${stage}")`);
  }
  const [subcommand, ...operands] = positionals;
  const named = values.named as string | undefined;
  let sql: string | undefined;
  if (!help) {
    if (subcommand !== 'query' && subcommand !== 'queries') {
      throw new ArchiveArgsError(
        `the first argument must be query or queries (given ${subcommand === undefined ? 'none' : `"${subcommand}"`})`,
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
      : new Date(time('until', values.until as string, nowMs));
  const sinceText = values.since as string | undefined;
  const since =
    sinceText === 'all'
      ? undefined
      : sinceText !== undefined
        ? new Date(time('since', sinceText, nowMs))
        : new Date(named !== undefined ? nowMs - (nowMs % DAY_MS) : nowMs - DAY_MS);
  if (since && since >= until) {
    throw new ArchiveArgsError(
      `--since must be before --until (given ${since.toISOString()} and ${until.toISOString()})`,
    );
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
    dedupe: values.dedupe === true,
    target,
    stage: stage as Stage,
    bucket: values.bucket as string | undefined,
    region: values.region as string | undefined,
    cacheDir: values['cache-dir'] as string | undefined,
  };
}

function time(name: 'since' | 'until', text: string, nowMs: number): number {
  try {
    return parseQueryTime(`--${name}`, text, nowMs);
  } catch (error) {
    throw new ArchiveArgsError((error as Error).message);
  }
}
