import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { GroundTruth } from '../core/aggregates/GroundTruth.js';
import type { StreamfoldConfig } from '../core/config/configSchema.js';
import { KinesisProducer } from '../producers/KinesisProducer.js';
import { connectTarget, type LoadTarget } from './connectTarget.js';
import { buildLoadReport, formatLoadReport, type LoadReport } from './LoadReport.js';
import { ProgressBar } from './ProgressBar.js';
import type { LoadArgs } from './parseLoadArgs.js';
import { runLoadTest } from './runLoadTest.js';
import { scanAggregates } from './scanAggregates.js';
import { type VerifyResult, waitForAggregates } from './verifyAggregates.js';

/** Seconds of load the producer may buffer before `put()` pushes back on the generator. */
const BUFFER_SECONDS = 2;

/** What {@link runLoadCommand} needs from its surroundings. */
export interface LoadCommandContext {
  config: StreamfoldConfig;
  /** Connects to the target; replaceable so tests can pin an embedded pipeline. */
  connect?: (args: LoadArgs, notice: (message: string) => void) => Promise<LoadTarget>;
  out?: NodeJS.WriteStream;
  err?: NodeJS.WriteStream;
}

/**
 * `npm run load`: connects to the target, snapshots the aggregates when
 * verifying, runs the load, writes the report (and JSON files), and verifies.
 * Returns the exit code: 0 when every event was acknowledged and, with
 * `--verify`, the aggregates match; 1 otherwise.
 */
export async function runLoadCommand(
  args: LoadArgs,
  context: LoadCommandContext,
): Promise<{ exitCode: number; report: LoadReport }> {
  const out = context.out ?? process.stdout;
  const err = context.err ?? process.stderr;
  const notice = (message: string) => err.write(`${message}\n`);
  const connect =
    context.connect ??
    ((a: LoadArgs, n: (message: string) => void) =>
      connectTarget(a.target, {
        config: context.config,
        stage: a.stage,
        ...(a.streamName ? { streamName: a.streamName } : {}),
        ...(a.tableName ? { tableName: a.tableName } : {}),
        ...(a.region ? { region: a.region } : {}),
        onNotice: n,
      }));
  const target = await connect(args, notice);
  try {
    const before = args.verify
      ? await scanAggregates(target.dynamodb, target.tableName)
      : undefined;
    const producer = new KinesisProducer({
      client: target.kinesis,
      streamName: target.streamName,
      packing: args.packing,
      maxBufferedEvents: Math.max(1_000, Math.ceil(args.rate * BUFFER_SECONDS)),
      statsIntervalMs: 0,
    });
    const truth = new GroundTruth(context.config);
    const bar = new ProgressBar(err);
    const runId = randomUUID().slice(0, 8);
    notice(
      `load ${runId}: ${args.rate} events/s for ${args.durationSeconds} s into ${target.streamName} (${target.description})`,
    );
    const run = await runLoadTest(producer, truth, {
      rate: args.rate,
      durationSeconds: args.durationSeconds,
      keys: args.keys,
      skew: args.skew,
      source: `load-${runId}`,
      onProgress: (p) => {
        const seconds = p.elapsedMs / 1_000;
        const stats = producer.snapshot();
        bar.update(
          p.phase === 'generating' ? p.elapsedMs / p.durationMs : 1,
          `${p.phase} ${seconds.toFixed(0)}/${p.durationMs / 1_000} s · ` +
            `${Math.round(p.acknowledged / Math.max(seconds, 0.001))} ev/s · acked ${p.acknowledged} · ` +
            `buffered ${stats.bufferedEvents} · retries ${stats.recordsRetried} · failed ${p.failed}`,
        );
      },
    });
    await producer.close();
    bar.finish();

    let verify: VerifyResult | undefined;
    if (before) {
      notice('waiting for the pipeline to drain, then comparing aggregates with the ground truth…');
      await target.waitForDrain?.();
      verify = await waitForAggregates({
        read: () => scanAggregates(target.dynamodb, target.tableName),
        before,
        truth: truth.items,
        timeoutMs: args.verifyTimeoutSeconds * 1_000,
        onPending: (result) =>
          bar.update(
            1,
            `verifying: ${result.mismatches.length} of ${result.checked} aggregates not there yet`,
          ),
      });
      bar.finish();
    }
    const report = buildLoadReport(
      {
        target: target.description,
        stream: target.streamName,
        packing: args.packing,
        settings: {
          rate: args.rate,
          durationSeconds: args.durationSeconds,
          keys: args.keys,
          skew: args.skewText,
        },
      },
      run,
      producer.snapshot(),
      verify,
    );
    out.write(`\n${formatLoadReport(report)}\n`);
    if (args.jsonFile) await writeFile(args.jsonFile, `${JSON.stringify(report, null, 2)}\n`);
    if (args.groundTruthFile) {
      await writeFile(args.groundTruthFile, `${JSON.stringify(truth, null, 2)}\n`);
    }
    const ok = run.failed === 0 && (verify?.passed ?? true);
    return { exitCode: ok ? 0 : 1, report };
  } finally {
    await target.close();
  }
}
