import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { AggregateFigures } from '../core/aggregates/GroundTruth.js';
import type { StreamfoldConfig } from '../core/config/configSchema.js';
import { connectTarget, type LoadTarget } from './connectTarget.js';
import { LoadGenerator } from './LoadGenerator.js';
import { buildLoadReport, formatLoadReport, type LoadReport } from './LoadReport.js';
import { ProgressBar } from './ProgressBar.js';
import type { LoadArgs } from './parseLoadArgs.js';
import { scanAggregates } from './scanAggregates.js';
import { VerifyRefusedError } from './VerifyRefusedError.js';
import { compareAggregates, type VerifyResult, waitForAggregates } from './verifyAggregates.js';

/** Seconds of load the producer may buffer before `put()` pushes back on the generator. */
const BUFFER_SECONDS = 2;
/** How often the generator reports progress, ms. */
const PROGRESS_INTERVAL_MS = 250;
/**
 * How long `--verify` watches the table before sending anything, ms: 3 s spans the
 * event source mapping's default 1 s batching window twice over, so a producer
 * writing a few events per second shows.
 */
const QUIET_CHECK_MS = 3_000;

/** What {@link runLoadCommand} needs from its surroundings. */
export interface LoadCommandContext {
  config: StreamfoldConfig;
  /** Connects to the target; replaceable so tests can pin an embedded pipeline. */
  connect?: (args: LoadArgs, notice: (message: string) => void) => Promise<LoadTarget>;
  out?: NodeJS.WriteStream;
  err?: NodeJS.WriteStream;
  /** How long `--verify` checks that nothing else writes before the run, ms. @default 3000 */
  quietCheckMs?: number;
}

/**
 * `streamfold load`: connects to the target, snapshots the aggregates when
 * verifying, runs the load in a worker thread (`LoadGenerator`, so that
 * generating and producing events does not compete with an embedded
 * pipeline's handler for one event loop), writes the report (text, or JSON with
 * `--json`; and the JSON files asked for),
 * and verifies. Returns the exit code: 0 when every event was acknowledged
 * and, with `--verify`, the aggregates match; 1 otherwise.
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
    const generator = await LoadGenerator.start({
      kinesis: target.kinesisConnection,
      streamName: target.streamName,
      config: context.config,
    });
    try {
      return await runWith(args, target, generator, {
        out,
        err,
        notice,
        quietCheckMs: context.quietCheckMs ?? QUIET_CHECK_MS,
      });
    } finally {
      await generator.stop();
    }
  } finally {
    await target.close();
  }
}

async function runWith(
  args: LoadArgs,
  target: LoadTarget,
  generator: LoadGenerator,
  io: {
    out: NodeJS.WriteStream;
    err: NodeJS.WriteStream;
    notice: (message: string) => void;
    quietCheckMs: number;
  },
): Promise<{ exitCode: number; report: LoadReport }> {
  const { out, err, notice } = io;
  const before = args.verify ? await quietSnapshot(target, io.quietCheckMs, notice) : undefined;
  const pacing = args.pacing === 'auto' ? target.enforcesShardLimits : args.pacing === 'on';
  const bar = new ProgressBar(err);
  const runId = randomUUID().slice(0, 8);
  notice(
    `load ${runId}: ${args.rate} events/s for ${args.durationSeconds} s into ${target.streamName} (${target.description}), ` +
      `${pacing ? 'paced to the per-shard write limits' : 'not paced'}` +
      `${args.pacing === 'auto' ? ` (the stream ${pacing ? 'enforces' : 'enforces no'} shard limits)` : ' (--pacing)'}`,
  );
  const { run, stats, truth } = await generator.run(
    {
      rate: args.rate,
      durationSeconds: args.durationSeconds,
      keys: args.keys,
      skew: args.skew,
      source: `load-${runId}`,
      packing: args.packing,
      pacing,
      maxBufferedEvents: Math.max(1_000, Math.ceil(args.rate * BUFFER_SECONDS)),
      progressIntervalMs: PROGRESS_INTERVAL_MS,
      groundTruth: args.verify || args.groundTruthFile !== undefined,
    },
    (p) => {
      const seconds = p.elapsedMs / 1_000;
      bar.update(
        p.phase === 'generating' ? p.elapsedMs / p.durationMs : 1,
        `${p.phase} ${seconds.toFixed(0)}/${p.durationMs / 1_000} s · ` +
          `${Math.round(p.acknowledged / Math.max(seconds, 0.001))} ev/s · acked ${p.acknowledged} · ` +
          `buffered ${p.bufferedEvents} · retries ${p.recordsRetried} · failed ${p.failed}`,
      );
    },
  );
  bar.finish();

  let verify: VerifyResult | undefined;
  if (before && truth) {
    notice('waiting for the pipeline to drain, then comparing aggregates with the ground truth…');
    await target.waitForDrain?.();
    verify = await waitForAggregates({
      read: () => scanAggregates(target.dynamodb, target.tableName),
      before,
      truth,
      timeoutMs: args.verifyTimeoutSeconds * 1_000,
      onPending: (result) =>
        bar.update(
          result.checked === 0 ? 1 : result.matching / result.checked,
          `verifying: ${result.matching} of ${result.checked} aggregates match; the others are still arriving`,
        ),
    });
    bar.finish();
  }
  const report = buildLoadReport(
    {
      target: target.description,
      stream: target.streamName,
      packing: args.packing,
      pacing,
      settings: {
        rate: args.rate,
        durationSeconds: args.durationSeconds,
        keys: args.keys,
        skew: args.skewText,
      },
    },
    run,
    stats,
    verify,
  );
  const json = `${JSON.stringify(report, null, 2)}\n`;
  out.write(args.json ? json : `\n${formatLoadReport(report)}\n`);
  if (args.reportFile) await writeFile(args.reportFile, json);
  if (args.groundTruthFile && truth) {
    await writeFile(
      args.groundTruthFile,
      `${JSON.stringify(Object.fromEntries(truth), null, 2)}\n`,
    );
  }
  const ok = run.failed === 0 && (verify?.passed ?? true);
  return { exitCode: ok ? 0 : 1, report };
}

/**
 * The table's aggregates before a verified run, once they have stayed unchanged
 * for `quietMs`: the run can only vouch for its own events when nothing else
 * writes to the table meanwhile.
 *
 * @throws {VerifyRefusedError} when any aggregate changed during that time
 */
async function quietSnapshot(
  target: LoadTarget,
  quietMs: number,
  notice: (message: string) => void,
): Promise<Map<string, AggregateFigures>> {
  const first = await scanAggregates(target.dynamodb, target.tableName);
  notice(
    `--verify: checking for ${quietMs / 1_000} s that nothing else writes to ${target.tableName}…`,
  );
  await new Promise((resolve) => setTimeout(resolve, quietMs));
  const second = await scanAggregates(target.dynamodb, target.tableName);
  // Compared as "truth = nothing": every item that differs is reported as changed.
  const changed = compareAggregates(first, second, new Map()).mismatches.length;
  if (changed > 0) throw new VerifyRefusedError(changed, quietMs / 1_000);
  return second;
}
