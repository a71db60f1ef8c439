/**
 * `npm start`: runs the whole streamfold pipeline on this machine.
 */
import { parseArgs } from 'node:util';
import { staticRootOf } from '../core/codec/firehosePrefix.js';
import { ConfigError } from '../core/config/errors.js';
import { loadConfig } from '../core/config/loadConfig.js';
import { CheckpointFileError } from './kinesis/CheckpointFileError.js';
import { type PipelineStatus, startLocalPipeline } from './startLocalPipeline.js';

const HELP = `Usage: npm start -- [options]

Runs streamfold locally on 127.0.0.1: Kinesis, DynamoDB and S3 emulators, the
aggregate handler behind a local event source mapping, the archiver, the HTTP
ingest endpoint and the dashboard, a Firehose endpoint with a direct-PUT delivery stream, and a
demo producer. Settings come from streamfold.config.ts.

Options:
  --rate N          demo producer events per second (default: config local.demoRate)
  --no-demo         do not run the demo producer
  --data-dir DIR    keep emulator state and checkpoints in DIR (default: in memory)
  --ephemeral-ports listen on free ports instead of local.ports (the banner shows them)
  --verbose         log every handler batch (Powertools INFO)
  --chaos           inject faults at the local.chaos rates of streamfold.config.ts: DynamoDB
                    throttles and 500s, PutRecords throttles and partial failures, handler
                    crashes after flushing, early timeouts, duplicate batch deliveries
  -h, --help        show this help
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string' },
      'no-demo': { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      'ephemeral-ports': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      chaos: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const rate = values['no-demo'] ? 0 : values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(Number.isFinite(rate) && rate >= 0)) {
    throw new ConfigError([
      `--rate: must be a number of events per second >= 0 (given "${values.rate}")`,
    ]);
  }
  const config = loadConfig(rate === undefined ? {} : { local: { demoRate: rate } });
  const isTty = process.stdout.isTTY === true;
  const notice = (message: string) =>
    process.stdout.write(`${isTty ? '\r\x1b[2K' : ''}! ${message}\n`);

  process.stdout.write('starting streamfold locally…\n');
  const pipeline = await startLocalPipeline({
    config,
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    ephemeralPorts: values['ephemeral-ports'],
    handlerLogLevel: values.verbose ? 'INFO' : 'WARN',
    onNotice: notice,
    chaos: values.chaos,
  });
  if (values.chaos) {
    const rates = Object.entries(config.local.chaos)
      .map(([name, rate]) => `${name.replace(/Rate$/, '')} ${(rate * 100).toFixed(1)}%`)
      .join(', ');
    process.stdout.write(`chaos mode: ${rates}\n`);
  }
  const { endpoints, httpUrl } = pipeline;
  process.stdout.write(
    [
      '',
      `  Dashboard  ${httpUrl}/`,
      '',
      'streamfold is running:',
      `  Kinesis   ${endpoints.kinesis}   stream ${config.stream.name} (${config.stream.shardCount} shards)`,
      `  DynamoDB  ${endpoints.dynamodb}   table ${config.table.name}`,
      `  S3        ${endpoints.s3}   buckets ${config.archive.bucketName}, ${config.rejects.bucketName}`,
      `  HTTP      ${httpUrl}   POST ${config.ingest.path} (JSON array of events), GET /health`,
      `  Firehose  ${endpoints.firehose}   delivery stream ${config.directPut.deliveryStreamName} (direct PUT) → s3://${config.archive.bucketName}/${staticRootOf(config.directPut.prefix)}`,
      `  demo      ${config.local.demoRate > 0 ? `${config.local.demoRate} events/s` : 'off'}`,
      '',
      'Look inside with the aws CLI (any credentials work; S3 wants S3RVER/S3RVER):',
      `  aws --endpoint-url ${endpoints.dynamodb} dynamodb query --table-name ${config.table.name} \\`,
      `      --key-condition-expression 'pk = :pk' --expression-attribute-values '{":pk":{"S":"revenue#country=DE"}}'`,
      `  aws --endpoint-url ${endpoints.s3} s3 ls --recursive s3://${config.archive.bucketName}/`,
      `  aws --endpoint-url ${endpoints.firehose} firehose put-record --delivery-stream-name ${config.directPut.deliveryStreamName} \\`,
      `      --cli-binary-format raw-in-base64-out --record '{"Data":"{\\"id\\":\\"cli-1\\"}\\n"}'`,
      '',
      'Send events over HTTP (see docs/http-ingest.md):',
      `  curl -sS -X POST ${httpUrl}${config.ingest.path} -H 'content-type: application/json' \\`,
      `      -d '[{"id":"e-1","type":"page_view","time":"'$(date -u +%Y-%m-%dT%H:%M:%SZ)'","source":"curl","data":{"path":"/","country":"DE","device":"desktop"}}]'`,
      '',
      'Ctrl-C flushes everything and stops.',
      '',
    ].join('\n'),
  );

  const render = (s: PipelineStatus) =>
    `produced ${s.produced} · aggregated ${s.aggregated} · archived ${s.archivedEvents} (${s.archiveObjects} objects) · ` +
    `rejected ${s.rejected} · on-failure ${s.sentToOnFailure} · lag ${s.iteratorLagMs} ms · ` +
    `direct PUT archived ${s.directPutArchivedEvents}` +
    (values.chaos ? ` · faults ${Object.values(s.faults).reduce((a, b) => a + b, 0)}` : '');
  let ticks = 0;
  const timer = setInterval(() => {
    ticks++;
    if (isTty) process.stdout.write(`\r\x1b[2K${render(pipeline.status())}`);
    else if (ticks % 5 === 0) process.stdout.write(`${render(pipeline.status())}\n`);
  }, 1_000);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    process.stdout.write(`${isTty ? '\n' : ''}stopping: flushing producer, handler and archive…\n`);
    await pipeline.stop();
    process.stdout.write(`stopped. ${render(pipeline.status())}\n`);
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

main().catch((error: unknown) => {
  if (
    error instanceof ConfigError ||
    error instanceof CheckpointFileError ||
    (error instanceof Error && error.name === 'ConfigError')
  ) {
    process.stderr.write(`${error.message}\n`);
  } else if (
    error instanceof Error &&
    'code' in error &&
    error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
  ) {
    process.stderr.write(`${error.message}\n\n${HELP}`);
  } else {
    process.stderr.write(
      `streamfold failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
});
