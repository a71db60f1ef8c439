import {
  COMMON_HELP,
  EVERY_COMMAND_OPTIONS,
  EXIT_CODES_HELP,
  LOCAL_STACK_HELP,
  LOCAL_STACK_OPTIONS,
} from '../commonOptions.js';
import { UsageError } from '../errors.js';
import { type CommandArgsSpec, parseCommandArgs } from '../parseCommandArgs.js';

/** Usage text of `streamfold start`. */
export const START_HELP = `Usage: streamfold start [options]
       npm start -- [options]

Runs streamfold locally: Kinesis, DynamoDB and S3 emulators, the aggregate
handler behind a local event source mapping, the archiver, the HTTP ingest
endpoint and the dashboard, a Firehose endpoint with a direct-PUT delivery
stream, and a demo producer. Settings come from the config (streamfold.config.ts).

Options:
  --rate N             demo producer events per second (default: config local.demoRate)
  --no-demo            do not run the demo producer
  --data-dir DIR       keep emulator state and checkpoints in DIR (default: in memory)
  --ephemeral-ports    listen on free ports instead of local.ports (the banner shows them)
  --verbose            log every handler batch (Powertools INFO)
  --chaos              inject faults at the local.chaos rates of the config: DynamoDB
                       throttles and 500s, PutRecords throttles and partial failures, handler
                       crashes after flushing, early timeouts, duplicate batch deliveries

${COMMON_HELP}
${LOCAL_STACK_HELP}
${EXIT_CODES_HELP}A port in use stops the start with exit 1, naming the port and the flag that moves it.
`;

/** The options of `streamfold start`. */
export const START_ARGS_SPEC: CommandArgsSpec = {
  options: {
    ...EVERY_COMMAND_OPTIONS,
    ...LOCAL_STACK_OPTIONS,
    rate: { type: 'string' },
    'no-demo': { type: 'boolean' },
    'data-dir': { type: 'string' },
    'ephemeral-ports': { type: 'boolean' },
    verbose: { type: 'boolean' },
    chaos: { type: 'boolean' },
  },
};

/** Parsed and checked `streamfold start` arguments. */
export interface StartArgs {
  /** Demo producer rate, events/s (0 with `--no-demo`); `undefined` keeps `local.demoRate`. */
  demoRate: number | undefined;
  dataDir: string | undefined;
  ephemeralPorts: boolean;
  verbose: boolean;
  chaos: boolean;
}

/**
 * Parses `streamfold start` arguments.
 *
 * @throws {UsageError} naming the option and the value that is wrong
 */
export function parseStartArgs(argv: readonly string[]): StartArgs {
  const args = parseCommandArgs(argv, START_ARGS_SPEC);
  const rateText = args.text('rate');
  let demoRate: number | undefined;
  if (args.flag('no-demo')) demoRate = 0;
  else if (rateText !== undefined) {
    demoRate = Number(rateText);
    if (rateText.trim() === '' || !(Number.isFinite(demoRate) && demoRate >= 0)) {
      throw new UsageError(
        `--rate must be a number of events per second, 0 or more (given "${rateText}")`,
      );
    }
  }
  return {
    demoRate,
    dataDir: args.text('data-dir'),
    ephemeralPorts: args.flag('ephemeral-ports'),
    verbose: args.flag('verbose'),
    chaos: args.flag('chaos'),
  };
}
