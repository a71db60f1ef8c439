import { Logger } from '@aws-lambda-powertools/logger';
import { aggregationSettingsOf } from '../../core/aggregates/compileMetrics.js';
import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import { escapeForTerminal } from '../../core/text/escapeForTerminal.js';
import { aggregateDependencies } from '../../functions/aggregate/aggregateDependencies.js';
import { DynamoShardLedger } from '../../functions/aggregate/DynamoShardLedger.js';
import { connectRedriveTarget, type RedriveTarget } from './connectRedriveTarget.js';
import type { RedriveArgs } from './parseRedriveArgs.js';
import { type ObjectOutcome, type RedriveSummary, redriveFailures } from './redriveFailures.js';

/** What {@link runRedriveCommand} needs from its surroundings. */
export interface RedriveCommandContext {
  config: StreamfoldConfig;
  /** Builds the target; replaceable so tests can point at emulators on ephemeral ports. */
  connect?: (args: RedriveArgs, config: StreamfoldConfig) => Promise<RedriveTarget>;
  out?: { write(text: string): unknown };
  err?: { write(text: string): unknown };
}

/**
 * The redrive command: connects, redrives (or lists, with `--dry-run`), writes
 * one progress line per object to `err` and the summary to `out`.
 *
 * @returns exit code 0 when no object failed, 1 otherwise, and the summary
 */
export async function runRedriveCommand(
  args: RedriveArgs,
  context: RedriveCommandContext,
): Promise<{ exitCode: number; summary: RedriveSummary }> {
  const out = context.out ?? process.stdout;
  const err = context.err ?? process.stderr;
  const target = await (context.connect ?? connectRedriveTarget)(args, context.config);
  try {
    const window = [
      args.since ? `since ${args.since.toISOString()}` : '',
      args.until ? `until ${args.until.toISOString()}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    err.write(
      `${args.dryRun ? 'dry run: listing' : 'redriving'} s3://${target.bucket}/${target.prefix}${window ? ` (${window})` : ''} → table ${target.tableName} on ${target.description}\n`,
    );
    const { config } = context;
    const summary = await redriveFailures({
      s3: target.s3,
      kinesis: target.kinesis,
      bucket: target.bucket,
      prefix: target.prefix,
      aggregation: aggregateDependencies({
        dynamodb: target.dynamodb,
        s3: target.s3,
        tableName: target.tableName,
        rejectsBucketName: target.bucket,
        rejectsPrefix: config.rejects.rejectsPrefix,
        settings: aggregationSettingsOf(config),
        catalog: config.catalog,
        // Per-object lines on stderr say what happened; the handler's warnings would repeat them.
        logger: new Logger({ logLevel: 'ERROR', serviceName: 'streamfold-redrive' }),
      }),
      ledger: new DynamoShardLedger(target.dynamodb, target.tableName),
      dryRun: args.dryRun,
      ...(args.since ? { since: args.since } : {}),
      ...(args.until ? { until: args.until } : {}),
      onObject: (outcome, done, total) =>
        err.write(`[${done}/${total}] ${describeOutcome(outcome)}\n`),
    });
    out.write(formatSummary(summary, args.dryRun));
    return { exitCode: summary.failed > 0 ? 1 : 0, summary };
  } finally {
    target.close();
  }
}

/**
 * One progress line, object keys and error text in it shown with their
 * control characters escaped ({@link escapeForTerminal}).
 */
export function describeOutcome(outcome: ObjectOutcome): string {
  return escapeForTerminal(outcomeLine(outcome));
}

function outcomeLine(outcome: ObjectOutcome): string {
  const what = `${outcome.records} records, ${outcome.bytes} bytes from ${outcome.shardId} (records from the ${outcome.source === 'stream' ? 'stream, read back by sequence number' : 'object payload'})`;
  const applied =
    outcome.eventsFolded === undefined
      ? ''
      : `; lane ${outcome.lane}: ${outcome.eventsFolded} valid events, ${outcome.eventsRejected ?? 0} rejected as bad input, ${outcome.itemsApplied ?? 0} aggregate items updated (what items had counted before the give-up is not counted again)`;
  switch (outcome.status) {
    case 'redriven':
      return `${outcome.key}: redriven, ${what}${applied}`;
    case 'would-redrive':
      return `${outcome.key}: would redrive ${what}`;
    case 'already-redriven':
      return `${outcome.key}: already redriven (marker present), skipped`;
    case 'failed':
      return `${outcome.key}: FAILED, skipped: ${outcome.error}`;
  }
}

/** The final summary, each line escaped as {@link describeOutcome}'s. */
export function formatSummary(summary: RedriveSummary, dryRun: boolean): string {
  const lines = [
    dryRun
      ? `dry run: ${summary.wouldRedrive} objects would be redriven: ${summary.records} records, ${summary.bytes} bytes, from shards ${summary.shards.join(', ') || '-'}; nothing was put, no marker written`
      : `redriven: ${summary.redriven} objects, ${summary.records} records, ${summary.bytes} bytes, ${summary.eventsFolded} valid events, from shards ${summary.shards.join(', ') || '-'}`,
    `already redriven (skipped): ${summary.alreadyRedriven}`,
    `failed: ${summary.failed}`,
  ];
  if (summary.outsideWindow > 0) lines.push(`outside --since/--until: ${summary.outsideWindow}`);
  for (const failed of summary.objects.filter((o) => o.status === 'failed')) {
    lines.push(`  ${failed.key}: ${failed.error}`);
  }
  return `${lines.map((line) => escapeForTerminal(line)).join('\n')}\n`;
}
