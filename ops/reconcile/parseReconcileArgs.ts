import { parseArgs } from 'node:util';
import { parseDuration } from '../../core/duration.js';
import { ReconcileArgsError } from './errors.js';

/** Usage text of the reconcile command. */
export const RECONCILE_HELP = `Usage: npm run reconcile -- [options]

Recomputes the aggregates of an event-time range from the S3 archive (the
system of record) and compares them with the DynamoDB table: for every metric
and bucket it prints what differs (count, sum, min, max, histogram buckets).

The archive is read from the arrival-hour partitions that can hold events of
the range (since - events.maxFutureSkew .. until + events.maxLateness);
lines are validated as the handler validates them and deduplicated by id.
Only buckets that lie wholly inside the range and ended before
now - archive.bufferingInterval - --margin are judged: newer records may still
sit in Firehose's buffer, aggregated but not yet archived.

Options:
  --since T        ISO 8601 time with offset, or a duration back from now: 90m, 6h, 2d
                   (default 1d)
  --until T        same forms (default now)
  --metric NAME    only this metric (repeatable; default every declared metric)
  --repair         correct drifted items with conditional updates that are safe while
                   the pipeline runs (never touching the per-shard watermarks)
  --backfill       with --metric: write the items of a newly declared metric over the
                   range; items that already exist are left alone and listed
  --margin D       added to the buffering interval before a bucket is complete (default 2m)
  --json           print the report as JSON
  --target T       local or aws (default local). local: the endpoints of "npm start"
                   from streamfold.config.ts; aws: the default credential chain
  --stage S        with --target aws: stack stage, for the table name (default dev)
  --bucket NAME    archive bucket (local default from streamfold.config.ts; required
                   with --target aws: the stack output ArchiveBucketName)
  --table NAME     aggregates table (default from streamfold.config.ts, plus -<stage> on aws)
  --region R       with --target aws: AWS region (default from the environment)
  -h, --help       show this help

Exit codes: 0 no drift, or every drifted item repaired, or backfill done;
1 drift found without --repair, or an item could not be repaired or written,
or the archive or table cannot be read; 2 bad arguments.

Examples:
  npm run reconcile -- --since 2d --until 1d
  npm run reconcile -- --since 2026-11-20T00:00Z --until 2026-11-21T00:00Z --repair
  npm run reconcile -- --metric cart_value --backfill --since 30d
  npm run reconcile -- --target aws --stage prod --bucket streamfold-prod-archivebucket-abc123 --since 1d
`;

/** Parsed and checked reconcile arguments. */
export interface ReconcileArgs {
  help: boolean;
  sinceMs: number;
  untilMs: number;
  metrics: string[];
  repair: boolean;
  backfill: boolean;
  marginMs: number | undefined;
  json: boolean;
  target: 'local' | 'aws';
  stage: string;
  bucket: string | undefined;
  table: string | undefined;
  region: string | undefined;
}

/** Default range: the last day. */
const DEFAULT_SINCE = '1d';

/**
 * Parses the reconcile command's arguments; times given as durations count back from `nowMs`.
 *
 * @throws {ReconcileArgsError} naming the option and the value that is wrong
 */
export function parseReconcileArgs(argv: readonly string[], nowMs = Date.now()): ReconcileArgs {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        since: { type: 'string' },
        until: { type: 'string' },
        metric: { type: 'string', multiple: true },
        repair: { type: 'boolean', default: false },
        backfill: { type: 'boolean', default: false },
        margin: { type: 'string' },
        json: { type: 'boolean', default: false },
        target: { type: 'string', default: 'local' },
        stage: { type: 'string', default: 'dev' },
        bucket: { type: 'string' },
        table: { type: 'string' },
        region: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ReconcileArgsError((error as Error).message);
  }
  const help = values.help === true;
  const target = values.target as string;
  if (target !== 'local' && target !== 'aws') {
    throw new ReconcileArgsError(`--target must be local or aws (given "${target}")`);
  }
  const sinceMs = parseTime('since', (values.since as string | undefined) ?? DEFAULT_SINCE, nowMs);
  const untilMs =
    values.until === undefined ? nowMs : parseTime('until', values.until as string, nowMs);
  if (sinceMs >= untilMs) {
    throw new ReconcileArgsError(
      `--since must be before --until (given ${new Date(sinceMs).toISOString()} and ${new Date(untilMs).toISOString()})`,
    );
  }
  const metrics = (values.metric as string[] | undefined) ?? [];
  const repair = values.repair === true;
  const backfill = values.backfill === true;
  if (backfill && metrics.length === 0 && !help) {
    throw new ReconcileArgsError(
      '--backfill needs --metric NAME: the newly declared metric to compute over history',
    );
  }
  if (backfill && repair) {
    throw new ReconcileArgsError(
      '--backfill and --repair cannot be combined: backfill only creates missing items; run --repair afterwards for items that already existed',
    );
  }
  let marginMs: number | undefined;
  if (values.margin !== undefined) {
    marginMs = parseDuration(values.margin as string);
    if (marginMs === undefined) {
      throw new ReconcileArgsError(
        `--margin must be a duration such as 30s or 2m (given "${values.margin}")`,
      );
    }
  }
  if (target === 'aws' && !values.bucket && !help) {
    throw new ReconcileArgsError(
      '--bucket is required with --target aws: the stack names the archive bucket (output ArchiveBucketName)',
    );
  }
  return {
    help,
    sinceMs,
    untilMs,
    metrics,
    repair,
    backfill,
    marginMs,
    json: values.json === true,
    target,
    stage: values.stage as string,
    bucket: values.bucket as string | undefined,
    table: values.table as string | undefined,
    region: values.region as string | undefined,
  };
}

/** An ISO 8601 time with an offset, or a duration back from `nowMs`. */
function parseTime(name: string, text: string, nowMs: number): number {
  const duration = parseDuration(text);
  if (duration !== undefined) return nowMs - duration;
  const ms = Date.parse(text);
  if (!/(?:Z|[+-]\d{2}:?\d{2})$/i.test(text) || Number.isNaN(ms)) {
    throw new ReconcileArgsError(
      `--${name} must be an ISO 8601 time with an offset, such as 2026-11-22T10:00Z, or a duration back from now, such as 90m, 6h or 2d (given "${text}")`,
    );
  }
  return ms;
}
