import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import { connectReconcileTarget, type ReconcileTarget } from './connectReconcileTarget.js';
import { formatReconcileReport } from './formatReconcileReport.js';
import type { ReconcileArgs } from './parseReconcileArgs.js';
import { type ReconcileReport, reconcileAggregates } from './reconcileAggregates.js';

/** What {@link runReconcileCommand} needs from its surroundings. */
export interface ReconcileCommandContext {
  config: StreamfoldConfig;
  /** Builds the target; replaceable so tests can point at emulators on ephemeral ports. */
  connect?: (args: ReconcileArgs, config: StreamfoldConfig) => Promise<ReconcileTarget>;
  /** @default Date.now */
  now?: () => number;
  out?: { write(text: string): unknown };
  err?: { write(text: string): unknown };
}

/**
 * The reconcile command: connects, reconciles (repairs or backfills when
 * asked), writes progress to `err` and the report (text or JSON) to `out`.
 *
 * @returns exit code 0 when nothing is left to fix, 1 when drift remains
 *   (found without `--repair`, or an item could not be repaired or written)
 */
export async function runReconcileCommand(
  args: ReconcileArgs,
  context: ReconcileCommandContext,
): Promise<{ exitCode: number; report: ReconcileReport }> {
  const out = context.out ?? process.stdout;
  const err = context.err ?? process.stderr;
  const target = await (context.connect ?? connectReconcileTarget)(args, context.config);
  try {
    const report = await reconcileAggregates({
      config: context.config,
      s3: target.s3,
      dynamodb: target.dynamodb,
      bucket: target.bucket,
      tableName: target.tableName,
      sinceMs: args.sinceMs,
      untilMs: args.untilMs,
      mode: args.backfill ? 'backfill' : args.repair ? 'repair' : 'check',
      metrics: args.metrics,
      ...(args.marginMs !== undefined ? { marginMs: args.marginMs } : {}),
      ...(context.now ? { now: context.now } : {}),
      onProgress: (line) => err.write(`${line}\n`),
    });
    out.write(
      args.json
        ? `${JSON.stringify(report, null, 2)}\n`
        : formatReconcileReport(report, target.description),
    );
    return { exitCode: exitCodeOf(report), report };
  } finally {
    target.close();
  }
}

/** 0 when nothing is left to fix; 1 when drift remains or a write failed. */
export function exitCodeOf(report: ReconcileReport): number {
  if (report.backfill) return report.backfill.failed.length > 0 ? 1 : 0;
  if (report.repair) return report.repair.failed.length > 0 ? 1 : 0;
  return report.drift.length > 0 ? 1 : 0;
}
