import { parseArgs } from 'node:util';
import { PACKING_MODES, type PackingMode } from '../producers/RecordDraft.js';
import { type KeySkew, parseKeySkew } from './KeySampler.js';

/** Usage text of `npm run load`. */
export const LOAD_HELP = `Usage: npm run load -- [options]

Drives the pipeline with sample web-shop events at a steady rate through the
KinesisProducer, shows progress, and prints a report. With --verify it waits
for the pipeline to drain and compares the DynamoDB aggregates with the
aggregates the acknowledged events must produce; any mismatch exits 1.

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
  --target T           local or aws (default local). local uses the stack "npm start" runs,
                       or starts an embedded one when none is running
  --stage S            with --target aws: stack stage, for resource names (default dev)
  --stream NAME        stream name (default from streamfold.config.ts, plus -<stage> on aws)
  --table NAME         aggregates table name (same defaults as --stream)
  --region R           with --target aws: AWS region (default from the environment)
  --verify             wait for the pipeline to drain and check the aggregates
  --verify-timeout S   give up verifying after S seconds (default 180)
  --json FILE          write the report as JSON to FILE
  --ground-truth FILE  write the expected aggregates (by pk|sk) as JSON to FILE
  -h, --help           show this help

Examples:
  npm run load -- --rate 5000 --duration 60 --keys 10000 --skew zipf:1.1 --verify
  npm run load -- --target aws --stage prod --rate 2000 --duration 300 --json report.json
`;

/** Parsed and checked `npm run load` arguments. */
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
  jsonFile: string | undefined;
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
 * Parses `npm run load` arguments.
 *
 * @throws {LoadArgsError} naming the option and value that are wrong
 */
export function parseLoadArgs(argv: readonly string[]): LoadArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        rate: { type: 'string', default: '1000' },
        duration: { type: 'string', default: '60' },
        keys: { type: 'string', default: '10000' },
        skew: { type: 'string', default: 'uniform' },
        packing: { type: 'string', default: 'ndjson' },
        pacing: { type: 'string', default: 'auto' },
        target: { type: 'string', default: 'local' },
        stage: { type: 'string', default: 'dev' },
        stream: { type: 'string' },
        table: { type: 'string' },
        region: { type: 'string' },
        verify: { type: 'boolean', default: false },
        'verify-timeout': { type: 'string', default: '180' },
        json: { type: 'string' },
        'ground-truth': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new LoadArgsError(error instanceof Error ? error.message : String(error));
  }
  const text = (name: string) => values[name] as string;
  const number = (name: string, check: (n: number) => boolean, what: string) => {
    const value = Number(text(name));
    if (!check(value)) throw new LoadArgsError(`--${name} must be ${what} (given "${text(name)}")`);
    return value;
  };
  const skewText = text('skew');
  let skew: KeySkew;
  try {
    skew = parseKeySkew(skewText);
  } catch (error) {
    throw new LoadArgsError((error as Error).message);
  }
  const packing = text('packing') as PackingMode;
  if (!PACKING_MODES.includes(packing)) {
    throw new LoadArgsError(
      `--packing must be one of ${PACKING_MODES.join(', ')} (given "${packing}")`,
    );
  }
  const pacing = text('pacing');
  if (pacing !== 'auto' && pacing !== 'on' && pacing !== 'off') {
    throw new LoadArgsError(`--pacing must be auto, on or off (given "${pacing}")`);
  }
  const target = text('target');
  if (target !== 'local' && target !== 'aws') {
    throw new LoadArgsError(`--target must be local or aws (given "${target}")`);
  }
  return {
    help: values.help === true,
    rate: number(
      'rate',
      (n) => Number.isFinite(n) && n > 0,
      'a number of events per second above 0',
    ),
    durationSeconds: number(
      'duration',
      (n) => Number.isFinite(n) && n > 0,
      'a number of seconds above 0',
    ),
    keys: number('keys', (n) => Number.isInteger(n) && n > 0, 'a whole number above 0'),
    skew,
    skewText,
    packing,
    pacing,
    target,
    stage: text('stage'),
    streamName: values.stream as string | undefined,
    tableName: values.table as string | undefined,
    region: values.region as string | undefined,
    verify: values.verify === true,
    verifyTimeoutSeconds: number(
      'verify-timeout',
      (n) => Number.isFinite(n) && n > 0,
      'a number of seconds above 0',
    ),
    jsonFile: values.json as string | undefined,
    groundTruthFile: values['ground-truth'] as string | undefined,
  };
}
