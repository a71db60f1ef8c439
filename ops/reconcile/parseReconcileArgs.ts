import {
  COMMON_HELP,
  EVERY_COMMAND_OPTIONS,
  JSON_OPTIONS,
  LOCAL_STACK_HELP,
  LOCAL_STACK_OPTIONS,
  TARGET_OPTIONS,
  TIME_RANGE_OPTIONS,
} from '../../cli/commonOptions.js';
import { type CommandArgsSpec, parseCommandArgs } from '../../cli/parseCommandArgs.js';
import { checkTimeRange, parseTimeOption } from '../../cli/parseTimeOption.js';
import { parseDuration } from '../../core/duration.js';
import { ReconcileArgsError } from './errors.js';

/** Usage text of the reconcile command. */
export const RECONCILE_HELP = `Usage: streamfold reconcile [options]
       npm run reconcile -- [options]

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
  --since T        a duration back from now (90m, 6h, 2d) or an ISO 8601 time with offset
                   (default 1d)
  --until T        same forms, or now (default now)
  --metric NAME    only this metric (repeatable; default every declared metric)
  --repair         correct drifted items with conditional updates that are safe while
                   the pipeline runs (never touching the per-shard watermarks)
  --backfill       with --metric: write the items of a newly declared metric over the
                   range; items that already exist are left alone and listed
  --margin D       added to the buffering interval before a bucket is complete (default 2m)
  --json           print the report as JSON
  --target T       local or aws (default local). local: the endpoints of "streamfold start";
                   aws: the default credential chain
  --stage S        with --target aws: stack stage, for the table name (default dev)
  --bucket NAME    archive bucket (local default from the config; required
                   with --target aws: the stack output ArchiveBucketName)
  --table NAME     aggregates table (default from the config, plus -<stage> on aws)
  --region R       with --target aws: AWS region (default from the environment)

${COMMON_HELP}
${LOCAL_STACK_HELP}
Exit codes: 0 no drift, or every drifted item repaired, or backfill done;
1 drift found without --repair, or an item could not be repaired or written,
or the archive or table cannot be read; 2 bad arguments (an unknown option or
metric, a bad value).

Examples:
  streamfold reconcile --since 2d --until 1d
  streamfold reconcile --since 2026-11-20T00:00Z --until 2026-11-21T00:00Z --repair
  streamfold reconcile --metric cart_quantity --backfill --since 30d
  streamfold reconcile --target aws --stage prod --bucket streamfold-prod-archivebucket-abc123 --since 1d
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

/** The options of `streamfold reconcile`. */
export const RECONCILE_ARGS_SPEC: CommandArgsSpec = {
  options: {
    ...EVERY_COMMAND_OPTIONS,
    ...JSON_OPTIONS,
    ...TIME_RANGE_OPTIONS,
    ...TARGET_OPTIONS,
    ...LOCAL_STACK_OPTIONS,
    metric: { type: 'string', multiple: true },
    repair: { type: 'boolean' },
    backfill: { type: 'boolean' },
    margin: { type: 'string' },
    bucket: { type: 'string' },
    table: { type: 'string' },
  },
  error: (message) => new ReconcileArgsError(message),
};

/**
 * Parses the reconcile command's arguments; times given as durations count back from `nowMs`.
 *
 * @throws {ReconcileArgsError} naming the option and the value that is wrong
 */
export function parseReconcileArgs(argv: readonly string[], nowMs = Date.now()): ReconcileArgs {
  const args = parseCommandArgs(argv, RECONCILE_ARGS_SPEC);
  const help = args.flag('help');
  const target = args.target();
  const sinceMs = parseTime('since', args.text('since') ?? DEFAULT_SINCE, nowMs);
  const until = args.text('until');
  const untilMs = until === undefined ? nowMs : parseTime('until', until, nowMs);
  checkTimeRange(sinceMs, untilMs, (message) => new ReconcileArgsError(message));
  const metrics = args.texts('metric');
  const repair = args.flag('repair');
  const backfill = args.flag('backfill');
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
  const margin = args.text('margin');
  if (margin !== undefined) {
    marginMs = parseDuration(margin);
    if (marginMs === undefined) {
      throw new ReconcileArgsError(
        `--margin must be a duration such as 30s or 2m (given "${margin}")`,
      );
    }
  }
  const bucket = args.text('bucket');
  if (target === 'aws' && !bucket && !help) {
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
    json: args.flag('json'),
    target,
    stage: args.text('stage') ?? 'dev',
    bucket,
    table: args.text('table'),
    region: args.text('region'),
  };
}

function parseTime(name: 'since' | 'until', text: string, nowMs: number): number {
  return parseTimeOption(name, text, nowMs, (message) => new ReconcileArgsError(message));
}
