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
import { RedriveArgsError } from './errors.js';

/** Usage text of the redrive command. */
export const REDRIVE_HELP = `Usage: streamfold redrive [options]
       npm run redrive -- [options]

Applies the records of Lambda on-failure objects (s3://<rejects bucket>/aws/lambda/...)
to the aggregates, exactly once, with the aggregate handler's own validation and
fold. Records an item had already counted before its batch was given up are
skipped by the watermarks frozen at the give-up; the rest are counted. Each
object gets a marker, redriven/<object key>.json, in the same bucket once all its
records are applied; running it again, or after a run that stopped half-way,
adds nothing. Nothing is put back on the stream and nothing is deleted.

Objects of a shard are applied in sequence order; an object that fails holds
back the later objects of its shard.

Options:
  --dry-run          list objects, records, bytes and shards; apply nothing, write no marker
  --since T          only objects written at or after T: a duration back from now (15m, 1h,
                     2d) or an ISO 8601 time with offset, e.g. 2026-11-22T10:00Z
  --until T          only objects written before T, same forms, or now
  --json             print the summary (every object's outcome) as JSON on stdout
  --target T         local or aws (default local). local: the endpoints of "streamfold start";
                     aws: the default credential chain
  --stage S          with --target aws: stack stage, for the table name (default dev)
  --bucket NAME      rejects bucket (local default from the config; required
                     with --target aws: the stack output RejectsBucketName)
  --prefix P         on-failure prefix (default rejects.onFailurePrefix, aws/lambda/)
  --table NAME       aggregates table (default from the config, plus -<stage> on aws)
  --region R         with --target aws: AWS region (default from the environment)

${COMMON_HELP}
${LOCAL_STACK_HELP}
Exit codes: 0 every object redriven or already redriven (or listed, with --dry-run);
1 some objects failed or wait for an earlier object of their shard (each is named;
the others were still redriven) or the target cannot be reached; 2 bad arguments.

Examples:
  streamfold redrive --dry-run --since 1h
  streamfold redrive --target aws --stage prod --bucket streamfold-prod-rejectsbucket-abc123
`;

/** Parsed and checked redrive arguments. */
export interface RedriveArgs {
  help: boolean;
  dryRun: boolean;
  /** Print the summary as JSON on stdout instead of text. */
  json: boolean;
  target: 'local' | 'aws';
  stage: string;
  bucket: string | undefined;
  prefix: string | undefined;
  table: string | undefined;
  region: string | undefined;
  since: Date | undefined;
  until: Date | undefined;
}

/** The options of `streamfold redrive`. */
export const REDRIVE_ARGS_SPEC: CommandArgsSpec = {
  options: {
    ...EVERY_COMMAND_OPTIONS,
    ...JSON_OPTIONS,
    ...TIME_RANGE_OPTIONS,
    ...TARGET_OPTIONS,
    ...LOCAL_STACK_OPTIONS,
    'dry-run': { type: 'boolean' },
    bucket: { type: 'string' },
    prefix: { type: 'string' },
    table: { type: 'string' },
  },
  error: (message) => new RedriveArgsError(message),
};

/**
 * Parses the redrive command's arguments.
 *
 * @param nowMs the current time, for `--since` and `--until` given as durations
 * @throws {RedriveArgsError} naming the option and the value that is wrong
 */
export function parseRedriveArgs(argv: readonly string[], nowMs = Date.now()): RedriveArgs {
  const args = parseCommandArgs(argv, REDRIVE_ARGS_SPEC);
  const target = args.target();
  const since = time('since', args.text('since'), nowMs);
  const until = time('until', args.text('until'), nowMs);
  // Without --until the objects run up to now: a --since after it selects nothing.
  if (since) {
    checkTimeRange(
      since.getTime(),
      until?.getTime() ?? nowMs,
      (message) => new RedriveArgsError(message),
    );
  }
  const help = args.flag('help');
  const bucket = args.text('bucket');
  if (target === 'aws' && !bucket && !help) {
    throw new RedriveArgsError(
      '--bucket is required with --target aws: the stack names the rejects bucket (output RejectsBucketName)',
    );
  }
  return {
    help,
    dryRun: args.flag('dry-run'),
    json: args.flag('json'),
    target,
    stage: args.text('stage') ?? 'dev',
    bucket,
    prefix: args.text('prefix'),
    table: args.text('table'),
    region: args.text('region'),
    since,
    until,
  };
}

function time(name: 'since' | 'until', text: string | undefined, nowMs: number): Date | undefined {
  if (text === undefined) return undefined;
  return new Date(parseTimeOption(name, text, nowMs, (message) => new RedriveArgsError(message)));
}
