import { staticRootOf } from '../../core/codec/firehosePrefix.js';
import { escapeForTerminal } from '../../core/text/escapeForTerminal.js';
import type { PipelineStatus } from '../../local/startLocalPipeline.js';
import { assertLocalPortsFree, portInUseErrorOf } from '../assertLocalPortsFree.js';
import { commandConfig } from '../commandConfig.js';
import { formatStatusLine } from '../formatStatusLine.js';
import { onStopRequest } from '../onStopRequest.js';
import type { Subcommand } from '../Subcommand.js';
import { startBannerExamples } from '../startBannerExamples.js';
import { parseStartArgs, START_ARGS_SPEC, START_HELP } from './parseStartArgs.js';

/**
 * `streamfold start`: runs the whole pipeline on this machine until Ctrl-C
 * (SIGINT), SIGTERM or SIGHUP (or, under npm, until npm is gone), then
 * flushes everything and resolves with 0. An emulator down for good (see
 * `startLocalPipeline`'s `onPartDown`) stops it with 1 and a line naming the
 * emulator and how it ended.
 */
export const startCommand: Subcommand = {
  name: 'start',
  help: START_HELP,
  spec: START_ARGS_SPEC,
  run: async (argv, context) => {
    const args = parseStartArgs(argv);
    const config = await commandConfig(
      argv,
      START_ARGS_SPEC,
      context,
      args.demoRate === undefined ? {} : { local: { demoRate: args.demoRate } },
    );
    // Before any process starts: a busy port then leaves nothing behind to clean up.
    if (!args.ephemeralPorts) await assertLocalPortsFree(config);
    const { out } = context;
    const isTty = out.isTTY === true;
    // Notices quote request URLs and error text: one line each, nothing that acts on the terminal.
    const notice = (message: string) =>
      out.write(`${isTty ? '\r\x1b[2K' : ''}! ${escapeForTerminal(message)}\n`);

    out.write('starting streamfold locally…\n');
    const { startLocalPipeline } = await import('../../local/startLocalPipeline.js');
    // Set once the stop is wired below; a part down for good before that is kept until then.
    let stopForPartDown: ((message: string) => void) | undefined;
    let partDownEarly: string | undefined;
    const pipeline = await startLocalPipeline({
      config,
      ...(args.dataDir ? { dataDir: args.dataDir } : {}),
      ephemeralPorts: args.ephemeralPorts,
      handlerLogLevel: args.verbose ? 'INFO' : 'WARN',
      onNotice: notice,
      onPartDown: (error) => {
        if (stopForPartDown) stopForPartDown(error.message);
        else partDownEarly ??= error.message;
      },
      chaos: args.chaos,
    }).catch((error: unknown) => {
      // Another process may take a port between the check and the start.
      throw portInUseErrorOf(error, config) ?? error;
    });
    if (args.chaos) {
      const rates = Object.entries(config.local.chaos)
        .map(([name, rate]) => `${name.replace(/Rate$/, '')} ${(rate * 100).toFixed(1)}%`)
        .join(', ');
      out.write(`chaos mode: ${rates}\n`);
    }
    const { endpoints, httpUrl } = pipeline;
    const examples = startBannerExamples(config, {
      dynamodb: endpoints.dynamodb,
      ingest: `${httpUrl}${config.ingest.path}`,
    });
    // Without sample events the pipeline runs no demo producer, whatever the rate.
    const demoRate = config.sampleEvents ? config.local.demoRate : 0;
    out.write(
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
        `  demo      ${demoRate > 0 ? `${demoRate} events/s` : 'off'}`,
        '',
        'Look inside with the aws CLI (any credentials work; S3 wants S3RVER/S3RVER):',
        ...examples.dynamodb,
        `  aws --endpoint-url ${endpoints.s3} s3 ls --recursive s3://${config.archive.bucketName}/`,
        `  aws --endpoint-url ${endpoints.firehose} firehose put-record --delivery-stream-name ${config.directPut.deliveryStreamName} \\`,
        `      --cli-binary-format raw-in-base64-out --record '{"Data":"{\\"id\\":\\"cli-1\\"}\\n"}'`,
        '',
        'Send events over HTTP (see docs/http-ingest.md):',
        ...examples.curl,
        '',
        'Ctrl-C flushes everything and stops.',
        '',
      ].join('\n'),
    );

    // Without a terminal (a log file, CI) every line is kept, so it may be as long as it needs.
    const render = (status: PipelineStatus, width = Number.MAX_SAFE_INTEGER) =>
      formatStatusLine(status, { width, demo: demoRate > 0, chaos: args.chaos });
    let ticks = 0;
    const timer = setInterval(() => {
      ticks++;
      // One column short of the width: a line filling the last column wraps on some terminals.
      if (isTty) out.write(`\r\x1b[2K${render(pipeline.status(), (out.columns ?? 80) - 1)}`);
      else if (ticks % 5 === 0) out.write(`${render(pipeline.status())}\n`);
    }, 1_000);

    return new Promise<number>((resolve, reject) => {
      let stopping = false;
      const shutdown = (line: string, code: number) => {
        if (stopping) return;
        stopping = true;
        clearInterval(timer);
        out.write(`${isTty ? '\n' : ''}${line}\n`);
        pipeline.stop().then(() => {
          out.write(`stopped. ${render(pipeline.status())}\n`);
          resolve(code);
        }, reject);
      };
      // The handlers stay for good: npm forwards the signal that also reached the whole group,
      // and a second copy must not end the process mid-flush.
      onStopRequest((reason) =>
        shutdown(`stopping (${reason}): flushing producer, handler and archive…`, 0),
      );
      stopForPartDown = (message) => shutdown(`stopping: ${message}`, 1);
      if (partDownEarly) stopForPartDown(partDownEarly);
    });
  },
};
