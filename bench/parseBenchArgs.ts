import { COMMON_HELP, EVERY_COMMAND_OPTIONS, EXIT_CODES_HELP } from '../cli/commonOptions.js';
import { didYouMeanSuffix } from '../cli/didYouMean.js';
import { UsageError } from '../cli/errors.js';
import { type CommandArgsSpec, parseCommandArgs } from '../cli/parseCommandArgs.js';

/** The parts of the run `--only` can select, in the order they run. */
export const PARTS = [
  'pipeline',
  'handler',
  'bundle',
  'memory',
  'writes',
  'producer',
  'firehose',
  'cost',
  'archive',
] as const;

/** A part of the benchmark run. */
export type Part = (typeof PARTS)[number];

/** Usage text of `streamfold bench`. */
export const BENCH_HELP = `Usage: streamfold bench [options]
       npm run bench -- [options]

Measures streamfold next to a naive baseline in the same run and writes
bench/results.json and bench/results.md (a --quick or --only run writes
bench/results.partial.json and .md instead, so the full results stay).

Parts (rows of the table):
  handler    1. handler CPU path, events/s per core, in-memory store (vs per-event handler
                and JSON.parse alone), again with 10 % bad lines, and what exact decimal
                sums and the storable-number check cost in it
  writes     2. DynamoDB write units per event against dynalite (vs one UpdateItem per event)
  producer   3. producer events/s and PUT payload units per event, 500-byte events,
                plus the producer table with sample events (vs one PutRecord per event)
  firehose   4. Firehose billed KB per event, packed vs one event per record
  cost       5. cost per million events on AWS from the measured units (needs
                handler, writes, producer and firehose, which it runs)
  pipeline   6. end to end through startLocalPipeline, load from a worker thread: every rate
                of a ladder for 15 s, sustained = backlog ≤ 3 s of traffic when production
                stops and drained within 10 s; latency and CPU by part; 8b. its RSS
  bundle     7. aggregate function bundle size and cold import time
  memory     8a. handler peak heap on a 6 MB batch in a fresh process
  archive    9. one hour of sample events as gzip NDJSON and as Parquet: bytes stored per
                event, bytes a one-column query scans, Athena cost per query

Options:
  --only LIST          comma-separated parts, e.g. --only producer,handler
  --quick              small counts and one repetition: a smoke run of about a minute
  --events N           events per variant of the producer table (default 60000; quick 5000)
  --naive-events N     events of one-per-record variants there (default 10000; quick 1000)

${COMMON_HELP}
${EXIT_CODES_HELP}`;

/** The options of `streamfold bench`. */
export const BENCH_ARGS_SPEC: CommandArgsSpec = {
  options: {
    ...EVERY_COMMAND_OPTIONS,
    only: { type: 'string' },
    quick: { type: 'boolean' },
    events: { type: 'string' },
    'naive-events': { type: 'string' },
  },
};

/** Parsed and checked `streamfold bench` arguments. */
export interface BenchArgs {
  /** The arguments as given, recorded in the results as the command that produced them. */
  argv: readonly string[];
  quick: boolean;
  /** Whether `--only` chose the parts. */
  only: boolean;
  /** The parts to run: those of `--only` and what they need, or all. */
  parts: Set<Part>;
  /** Events per variant of the producer table; `undefined` for the default of the run size. */
  events: number | undefined;
  /** Events of the one-per-record variants there; `undefined` for the default. */
  naiveEvents: number | undefined;
}

/**
 * Parses `streamfold bench` arguments.
 *
 * @throws {UsageError} naming the option or part that is wrong, with the closest part for a typo
 */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const args = parseCommandArgs(argv, BENCH_ARGS_SPEC);
  const count = (name: 'events' | 'naive-events') => {
    const text = args.text(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!(Number.isInteger(value) && value > 0)) {
      throw new UsageError(`--${name} must be a whole number above 0 (given "${text}")`);
    }
    return value;
  };
  const only = args.text('only');
  return {
    argv: [...argv],
    quick: args.flag('quick'),
    only: only !== undefined,
    parts: selectParts(only),
    events: count('events'),
    naiveEvents: count('naive-events'),
  };
}

function selectParts(only: string | undefined): Set<Part> {
  if (only === undefined) return new Set(PARTS);
  const parts = new Set<Part>();
  for (const name of only.split(',').map((s) => s.trim())) {
    if (!(PARTS as readonly string[]).includes(name)) {
      throw new UsageError(
        `--only: unknown part ${name}${didYouMeanSuffix(name, PARTS) || ` (parts: ${PARTS.join(', ')})`}`,
      );
    }
    parts.add(name as Part);
  }
  // The cost model multiplies figures these parts measure.
  if (parts.has('cost'))
    for (const needed of ['handler', 'writes', 'firehose'] as const) parts.add(needed);
  return parts;
}
