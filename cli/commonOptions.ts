import type { OptionSpecs } from './parseCommandArgs.js';

/** `-h, --help`: every subcommand has its own help text. */
export const HELP_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpecs;

/** `--config FILE`: the configuration file to load instead of the default. */
export const CONFIG_OPTIONS = {
  config: { type: 'string' },
} as const satisfies OptionSpecs;

/** `--json`: print the result as JSON on stdout instead of text. */
export const JSON_OPTIONS = {
  json: { type: 'boolean' },
} as const satisfies OptionSpecs;

/** `--since T`, `--until T`: a duration back from now or an ISO 8601 time (see `parseTimeOption`). */
export const TIME_RANGE_OPTIONS = {
  since: { type: 'string' },
  until: { type: 'string' },
} as const satisfies OptionSpecs;

/** `--target local|aws`, `--stage S`, `--region R`: where a command reads and writes. */
export const TARGET_OPTIONS = {
  target: { type: 'string' },
  stage: { type: 'string' },
  region: { type: 'string' },
} as const satisfies OptionSpecs;

/** `--host` and one `--<service>-port` per local server (see `localStackOverrides`). */
export const LOCAL_STACK_OPTIONS = {
  host: { type: 'string' },
  'kinesis-port': { type: 'string' },
  'dynamodb-port': { type: 'string' },
  's3-port': { type: 'string' },
  'firehose-port': { type: 'string' },
  'http-port': { type: 'string' },
} as const satisfies OptionSpecs;

/** Every subcommand accepts these. */
export const EVERY_COMMAND_OPTIONS = {
  ...HELP_OPTIONS,
  ...CONFIG_OPTIONS,
} as const satisfies OptionSpecs;

/** Help lines of the options every subcommand accepts. */
export const COMMON_HELP = `Common options:
  --config FILE        configuration file (default: env STREAMFOLD_CONFIG, else streamfold.config.ts)
  -h, --help           show this help
`;

/** Help lines of the local stack's host and ports, for `start` and the commands that connect to it. */
export const LOCAL_STACK_HELP = `Local stack (a flag wins over its environment variable, which wins over local.* of the config):
  --host H             interface of every local server        STREAMFOLD_HOST
  --kinesis-port N     Kinesis emulator                       STREAMFOLD_KINESIS_PORT
  --dynamodb-port N    DynamoDB emulator                      STREAMFOLD_DYNAMODB_PORT
  --s3-port N          S3 emulator                            STREAMFOLD_S3_PORT
  --firehose-port N    Firehose endpoint (direct PUT)         STREAMFOLD_FIREHOSE_PORT
  --http-port N        HTTP ingest, query API and dashboard   STREAMFOLD_HTTP_PORT
`;

/** The `Exit codes:` paragraph shared by every subcommand's help. */
export const EXIT_CODES_HELP =
  'Exit codes: 0 success; 1 failure; 2 bad arguments (an unknown option, metric or value,\nan invalid configuration).\n';
