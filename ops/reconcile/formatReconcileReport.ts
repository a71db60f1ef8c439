import { escapeForTerminal } from '../../core/text/escapeForTerminal.js';
import type { AggregateDrift } from './findDrift.js';
import type { ReconcileReport } from './reconcileAggregates.js';

/** Differences shown per drifted item before the rest are summed up. */
const MAX_DIFFERENCES_SHOWN = 6;

/** Places of merged archive lines shown. */
const MAX_MERGED_LINES_SHOWN = 5;

/**
 * The report as text: what was read (lines the handler refuses too apart from
 * merged lines, which the archive may have made), which buckets were judged
 * and why others were not, drift per metric and bucket, and what a repair or
 * backfill did. Each line is one line on a terminal: group values, object keys
 * and error text in it are shown with their control characters escaped
 * ({@link escapeForTerminal}).
 */
export function formatReconcileReport(report: ReconcileReport, target: string): string {
  const { archive } = report;
  const invalid = Object.entries(archive.invalid)
    .map(([code, n]) => `${n} ${code}`)
    .join(', ');
  const lines = [
    `${report.mode === 'backfill' ? 'backfill' : 'reconcile'} ${report.since} .. ${report.until} on ${target}`,
    `archive: s3://${archive.bucket}/${archive.prefix}: ${archive.partitions} arrival-hour partitions (${archive.arrivalFrom} .. ${archive.arrivalTo}), ${archive.objects} objects, ${archive.lines} lines; ${archive.events} distinct events in the range, ${archive.duplicates} duplicate ids dropped, ${archive.outsideRange} outside the range, ${invalid || '0'} invalid (refused by the handler too)`,
  ];
  if (archive.conversionFailedRecords > 0) {
    lines.push(
      `conversion failures: ${archive.conversionFailedRecords} records Parquet conversion refused were read from the error prefix (format-conversion-failed) as they were sent, and are in the figures above`,
    );
  }
  if (archive.mergedLines > 0) {
    lines.push(
      `merged lines: ${archive.mergedLines} archive lines are not JSON but hold ${archive.mergedLineEvents} valid events: records without a trailing newline that an archive concatenated (Firehose without the AppendDelimiterToRecord processor), or a producer's malformed line the handler refused whole; the line cannot tell which, so its events are not counted and the buckets they fall in are not judged`,
    );
    for (const { key, line } of archive.mergedLineSamples.slice(0, MAX_MERGED_LINES_SHOWN)) {
      lines.push(`  s3://${archive.bucket}/${key} line ${line}`);
    }
    const more =
      archive.mergedLines - Math.min(archive.mergedLineSamples.length, MAX_MERGED_LINES_SHOWN);
    if (more > 0) lines.push(`  and ${more} more`);
  }
  lines.push(
    `judged: buckets wholly inside the range that ended before ${report.completeBefore} (now ${report.now} - buffering interval ${seconds(report.bufferingIntervalMs)} - margin ${seconds(report.marginMs)}: newer records may still be in Firehose's buffer, aggregated but not yet archived)`,
  );
  for (const [metric, tally] of Object.entries(report.metrics)) {
    const notJudged = [
      tally.cutByRange > 0 ? `${tally.cutByRange} cut by the range` : '',
      tally.notComplete > 0 ? `${tally.notComplete} not complete yet` : '',
      tally.mergedLines > 0 ? `${tally.mergedLines} may hold events of merged lines` : '',
    ].filter(Boolean);
    const outcome = report.mode === 'backfill' ? 'to write' : `${tally.drifted} drifted`;
    lines.push(
      `  ${metric}: ${tally.judged} items judged, ${outcome}${notJudged.length > 0 ? `; not judged: ${notJudged.join(', ')}` : ''}`,
    );
  }
  if (report.mode !== 'backfill') {
    lines.push(report.drift.length === 0 ? 'drift: none' : `drift: ${report.drift.length} items`);
    for (const drift of report.drift) lines.push(`  ${describeDrift(drift)}`);
  }
  if (report.repair) {
    const { repaired, inSync, conflicts, failed } = report.repair;
    lines.push(
      `repair: ${repaired} repaired, ${inSync} already in sync on a fresh read, ${failed.length} failed; ${conflicts} conditional writes refused because a live write landed in between (each re-read and retried)`,
    );
    for (const failure of failed) lines.push(`  FAILED ${failure.key}: ${failure.error}`);
  }
  if (report.backfill) {
    const { written, existing, failed } = report.backfill;
    lines.push(
      `backfill: ${written} items written, ${existing.length} already existed (left alone; run with --repair to correct them), ${failed.length} failed`,
    );
    for (const key of existing) lines.push(`  existing ${key}`);
    for (const failure of failed) lines.push(`  FAILED ${failure.key}: ${failure.error}`);
  }
  return `${lines.map((line) => escapeForTerminal(line)).join('\n')}\n`;
}

/** One drifted item on one line: metric, group, window and bucket, then what differs. */
export function describeDrift(drift: AggregateDrift): string {
  const where = `${drift.metric} ${drift.group} ${drift.window} ${drift.bucket}`;
  const what =
    drift.kind === 'missing'
      ? `missing from the table (expected count ${drift.expected?.count})`
      : drift.kind === 'unexpected'
        ? `in the table but not in the archive (stored count ${drift.stored?.count})`
        : '';
  const shown = drift.differences.slice(0, MAX_DIFFERENCES_SHOWN);
  const more = drift.differences.length - shown.length;
  const details = `${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
  return escapeForTerminal(what ? `${where}: ${what}: ${details}` : `${where}: ${details}`);
}

function seconds(ms: number): string {
  return `${ms / 1_000}s`;
}
