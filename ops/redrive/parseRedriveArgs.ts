import { parseArgs } from 'node:util';
import { RedriveArgsError } from './errors.js';

/** Usage text of the redrive command. */
export const REDRIVE_HELP = `Usage: npm run redrive -- [options]

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
  --target T         local or aws (default local). local: the endpoints of "npm start"
                     from streamfold.config.ts; aws: the default credential chain
  --stage S          with --target aws: stack stage, for the table name (default dev)
  --bucket NAME      rejects bucket (local default from streamfold.config.ts; required
                     with --target aws: the stack output RejectsBucketName)
  --prefix P         on-failure prefix (default rejects.onFailurePrefix, aws/lambda/)
  --table NAME       aggregates table (default from streamfold.config.ts, plus -<stage> on aws)
  --region R         with --target aws: AWS region (default from the environment)
  --since TIME       only objects written at or after TIME (ISO 8601, e.g. 2026-11-22T10:00Z)
  --until TIME       only objects written before TIME
  -h, --help         show this help

Exit codes: 0 every object redriven or already redriven (or listed, with --dry-run);
1 some objects failed or wait for an earlier object of their shard (each is named;
the others were still redriven) or the target cannot be reached; 2 bad arguments.

Examples:
  npm run redrive -- --dry-run
  npm run redrive -- --target aws --stage prod --bucket streamfold-prod-rejectsbucket-abc123
`;

/** Parsed and checked redrive arguments. */
export interface RedriveArgs {
  help: boolean;
  dryRun: boolean;
  target: 'local' | 'aws';
  stage: string;
  bucket: string | undefined;
  prefix: string | undefined;
  table: string | undefined;
  region: string | undefined;
  since: Date | undefined;
  until: Date | undefined;
}

/**
 * Parses the redrive command's arguments.
 *
 * @throws {RedriveArgsError} naming the option and the value that is wrong
 */
export function parseRedriveArgs(argv: readonly string[]): RedriveArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        'dry-run': { type: 'boolean', default: false },
        target: { type: 'string', default: 'local' },
        stage: { type: 'string', default: 'dev' },
        bucket: { type: 'string' },
        prefix: { type: 'string' },
        table: { type: 'string' },
        region: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new RedriveArgsError((error as Error).message);
  }
  const target = values.target as string;
  if (target !== 'local' && target !== 'aws') {
    throw new RedriveArgsError(`--target must be local or aws (given "${target}")`);
  }
  const since = time(values.since as string | undefined, 'since');
  const until = time(values.until as string | undefined, 'until');
  if (since && until && since >= until) {
    throw new RedriveArgsError(
      `--since must be before --until (given ${since.toISOString()} and ${until.toISOString()})`,
    );
  }
  const help = values.help === true;
  if (target === 'aws' && !values.bucket && !help) {
    throw new RedriveArgsError(
      '--bucket is required with --target aws: the stack names the rejects bucket (output RejectsBucketName)',
    );
  }
  return {
    help,
    dryRun: values['dry-run'] === true,
    target,
    stage: values.stage as string,
    bucket: values.bucket as string | undefined,
    prefix: values.prefix as string | undefined,
    table: values.table as string | undefined,
    region: values.region as string | undefined,
    since,
    until,
  };
}

function time(text: string | undefined, name: string): Date | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) {
    throw new RedriveArgsError(
      `--${name} must be an ISO 8601 time such as 2026-11-22T10:00Z (given "${text}")`,
    );
  }
  return new Date(ms);
}
