import {
  COMMON_HELP,
  EVERY_COMMAND_OPTIONS,
  EXIT_CODES_HELP,
  JSON_OPTIONS,
  LOCAL_STACK_HELP,
  LOCAL_STACK_OPTIONS,
  TARGET_OPTIONS,
} from '../cli/commonOptions.js';
import { type CommandArgsSpec, parseCommandArgs } from '../cli/parseCommandArgs.js';
import { PACKING_MODES, type PackingMode } from '../producers/RecordDraft.js';
import { type KeySkew, parseKeySkew } from './KeySampler.js';

/** Usage text of `streamfold load`. */
export const LOAD_HELP = `Usage: streamfold load [options]
       npm run load -- [options]

Drives the pipeline with sample web-shop events at a steady rate through the
KinesisProducer, shows progress, and prints a report. With --verify it waits
for the pipeline to drain and compares the DynamoDB aggregates with the
aggregates the acknowledged events must produce; any mismatch exits 1. A run
can only vouch for its own events: --verify first watches the table for 3 s
and refuses (exit 1, nothing sent) when anything else writes to it, such as
the demo producer of "streamfold start" (start it with --no-demo to verify).

Options:
  --rate N             events per second (default 1000)
  --duration S         seconds to generate for (default 60)
  --keys N             distinct partition keys (default 10000)
  --skew S             key distribution: uniform or zipf:<exponent>, e.g. zipf:1.1 (default uniform)
  --packing M          ndjson, kpl or none (default ndjson)
  --pacing P           auto, on or off (default auto): pace the producer to Kinesis's per-shard
                       write limits (1 MiB/s and 1,000 records/s per shard). auto paces on AWS
                       and against local.endpoints.kinesis, not against the local emulator
                       (kinesalite enforces no shard limits)
  --target T           local or aws (default local). local uses the stack "streamfold start" runs,
                       or starts an embedded one when none is running
  --stage S            with --target aws: stack stage, for resource names (default dev)
  --stream NAME        stream name (default from the config, plus -<stage> on aws)
  --table NAME         aggregates table name (same defaults as --stream)
  --region R           with --target aws: AWS region (default from the environment)
  --verify             wait for the pipeline to drain and check the aggregates (stops at the
                       first mismatch that waiting cannot resolve)
  --verify-timeout S   give up verifying after S seconds (default 180)
  --json               print the report as JSON on stdout instead of text
  --report FILE        also write the report as JSON to FILE
  --ground-truth FILE  write the expected aggregates (by pk|sk) as JSON to FILE

${COMMON_HELP}
${LOCAL_STACK_HELP}
${EXIT_CODES_HELP}
Examples:
  streamfold load --rate 5000 --duration 60 --keys 10000 --skew zipf:1.1 --verify
  streamfold load --target aws --stage prod --rate 2000 --duration 300 --report report.json
`;

/** The options of `streamfold load`. */
export const LOAD_ARGS_SPEC: CommandArgsSpec = {
  options: {
    ...EVERY_COMMAND_OPTIONS,
    ...JSON_OPTIONS,
    ...TARGET_OPTIONS,
    ...LOCAL_STACK_OPTIONS,
    rate: { type: 'string' },
    duration: { type: 'string' },
    keys: { type: 'string' },
    skew: { type: 'string' },
    packing: { type: 'string' },
    pacing: { type: 'string' },
    stream: { type: 'string' },
    table: { type: 'string' },
    verify: { type: 'boolean' },
    'verify-timeout': { type: 'string' },
    report: { type: 'string' },
    'ground-truth': { type: 'string' },
  },
  error: (message) => new LoadArgsError(message),
};

/** Parsed and checked `streamfold load` arguments. */
export interface LoadArgs {
  help: boolean;
  rate: number;
  durationSeconds: number;
  keys: number;
  skew: KeySkew;
  skewText: string;
  packing: PackingMode;
  /** Pace to the per-shard write limits: always, never, or where the stream enforces them. */
  pacing: 'auto' | 'on' | 'off';
  target: 'local' | 'aws';
  stage: string;
  streamName: string | undefined;
  tableName: string | undefined;
  region: string | undefined;
  verify: boolean;
  verifyTimeoutSeconds: number;
  /** Print the report as JSON on stdout instead of text. */
  json: boolean;
  /** Also write the report as JSON to this file. */
  reportFile: string | undefined;
  groundTruthFile: string | undefined;
}

/** An argument that cannot be used, with a message naming it and its value. */
export class LoadArgsError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'LoadArgsError';
  }
}

/**
 * Parses `streamfold load` arguments.
 *
 * @throws {LoadArgsError} naming the option and value that are wrong
 */
export function parseLoadArgs(argv: readonly string[]): LoadArgs {
  const jsonAt = argv.indexOf('--json');
  const jsonFile = jsonAt >= 0 ? argv[jsonAt + 1] : undefined;
  if (jsonFile !== undefined && !jsonFile.startsWith('-')) {
    // --json took a file before it meant "JSON on stdout"; say where the file went.
    throw new LoadArgsError(
      `--json prints the report on stdout and takes no file (given "${jsonFile}"); write it to a file with --report ${jsonFile}`,
    );
  }
  const args = parseCommandArgs(argv, LOAD_ARGS_SPEC);
  const text = (name: string, fallback: string) => args.text(name) ?? fallback;
  const number = (name: string, fallback: string, check: (n: number) => boolean, what: string) => {
    const value = Number(text(name, fallback));
    if (!check(value)) {
      throw new LoadArgsError(`--${name} must be ${what} (given "${text(name, fallback)}")`);
    }
    return value;
  };
  const skewText = text('skew', 'uniform');
  let skew: KeySkew;
  try {
    skew = parseKeySkew(skewText);
  } catch (error) {
    throw new LoadArgsError((error as Error).message);
  }
  const packing = text('packing', 'ndjson') as PackingMode;
  if (!PACKING_MODES.includes(packing)) {
    throw new LoadArgsError(
      `--packing must be one of ${PACKING_MODES.join(', ')} (given "${packing}")`,
    );
  }
  const pacing = text('pacing', 'auto');
  if (pacing !== 'auto' && pacing !== 'on' && pacing !== 'off') {
    throw new LoadArgsError(`--pacing must be auto, on or off (given "${pacing}")`);
  }
  const target = args.target();
  return {
    help: args.flag('help'),
    rate: number(
      'rate',
      '1000',
      (n) => Number.isFinite(n) && n > 0,
      'a number of events per second above 0',
    ),
    durationSeconds: number(
      'duration',
      '60',
      (n) => Number.isFinite(n) && n > 0,
      'a number of seconds above 0',
    ),
    keys: number('keys', '10000', (n) => Number.isInteger(n) && n > 0, 'a whole number above 0'),
    skew,
    skewText,
    packing,
    pacing,
    target,
    stage: text('stage', 'dev'),
    streamName: args.text('stream'),
    tableName: args.text('table'),
    region: args.text('region'),
    verify: args.flag('verify'),
    verifyTimeoutSeconds: number(
      'verify-timeout',
      '180',
      (n) => Number.isFinite(n) && n > 0,
      'a number of seconds above 0',
    ),
    json: args.flag('json'),
    reportFile: args.text('report'),
    groundTruthFile: args.text('ground-truth'),
  };
}
