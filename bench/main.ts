/**
 * `npm run bench`: measures streamfold against naive baselines in the same run, on this machine.
 */
import { parseArgs } from 'node:util';
import { createAwsClients } from '../local/awsClients.js';
import { startEmulators } from '../local/emulators/startEmulators.js';
import { formatTable } from './formatTable.js';
import { runProducerBenchmark } from './producerBenchmark.js';

const HELP = `Usage: npm run bench -- [options]

Runs the benchmarks against the local emulators (started on free ports) and
prints each figure next to a naive baseline measured in the same run.

  producer   events/s into a 2-shard kinesalite stream and PUT payload units
             per event: KinesisProducer (ndjson, kpl, none) vs one PutRecord per event

Options:
  --events N        events per producer variant (default 60000)
  --naive-events N  events for one-per-record variants (default 10000)
  -h, --help        show this help
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '60000' },
      'naive-events': { type: 'string', default: '10000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const count = (name: 'events' | 'naive-events') => {
    const value = Number(values[name]);
    if (!(Number.isInteger(value) && value > 0)) {
      throw new Error(`--${name} must be a whole number above 0 (given "${values[name]}")`);
    }
    return value;
  };
  const events = count('events');
  const naiveEvents = count('naive-events');
  const log = (message: string) => process.stderr.write(`${message}\n`);

  log('starting kinesalite…');
  const emulators = await startEmulators({ host: '127.0.0.1', ports: { kinesis: 0 } });
  try {
    const endpoint = `http://127.0.0.1:${emulators.ports.kinesis}`;
    const { kinesis } = createAwsClients(
      { kinesis: endpoint, dynamodb: endpoint, s3: endpoint },
      'us-east-1',
    );
    const { rows, averageEventBytes } = await runProducerBenchmark({
      kinesis,
      shardCount: 2,
      events,
      naiveEvents,
      naiveConcurrency: 16,
      onProgress: log,
    });
    const naive = rows.at(-1);
    process.stdout.write(
      `\nProducer: sample web-shop events (~${Math.round(averageEventBytes)} bytes each) into a 2-shard kinesalite stream\n\n`,
    );
    process.stdout.write(
      `${formatTable(
        [
          'variant',
          'events',
          'seconds',
          'events/s',
          'vs naive',
          'PUT units/event',
          'calls/event',
          'note',
        ],
        rows.map((row) => [
          row.name,
          row.events,
          Number(row.seconds.toFixed(2)),
          Math.round(row.eventsPerSecond),
          `${(row.eventsPerSecond / (naive?.eventsPerSecond ?? 1)).toFixed(1)}×`,
          Number(row.putPayloadUnitsPerEvent.toFixed(4)),
          Number(row.apiCallsPerEvent.toFixed(4)),
          row.note,
        ]),
      )}\n`,
    );
    process.stdout.write(
      '\nPUT payload units are what Kinesis bills per record (25 KB each, rounded up); fewer per event is cheaper.\n',
    );
  } finally {
    await emulators.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
