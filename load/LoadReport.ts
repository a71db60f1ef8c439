import type { HistogramSummary } from '../core/stats/LogHistogram.js';
import { escapeForTerminal } from '../core/text/escapeForTerminal.js';
import type { ProducerStatsSnapshot } from '../producers/KinesisProducer.js';
import type { LoadRunResult } from './runLoadTest.js';
import type { VerifyResult } from './verifyAggregates.js';

/** The final report of a load test; also what `--json` writes. */
export interface LoadReport {
  target: string;
  stream: string;
  packing: string;
  /** Whether the producer paced itself to the per-shard write limits. */
  pacing: boolean;
  settings: { rate: number; durationSeconds: number; keys: number; skew: string };
  events: { put: number; acknowledged: number; failed: number; expired: number };
  /** Acknowledged events per second of wall-clock time, first put to last acknowledgement. */
  achievedEventsPerSecond: number;
  elapsedSeconds: number;
  putRecordsCalls: number;
  recordsAcknowledged: number;
  recordsPerCall: number;
  eventsPerRecord: number;
  bytesPerRecord: number;
  putPayloadUnits: number;
  putPayloadUnitsPerEvent: number;
  ackLatencyMs: HistogramSummary;
  retries: number;
  throttles: number;
  failures: number;
  failureSamples: string[];
  verify?: {
    passed: boolean;
    checked: number;
    mismatches: number;
    /**
     * Of `mismatches`, those that waiting could still have resolved (counts below the
     * expected ones) when verify stopped at one that it could not.
     */
    stillArriving: number;
    /** The first mismatches waiting cannot resolve, or, without any, the first still arriving. */
    firstMismatches: string[];
  };
}

/** Builds the report from the run's counts and the producer's stats. */
export function buildLoadReport(
  meta: Pick<LoadReport, 'target' | 'stream' | 'packing' | 'pacing' | 'settings'>,
  run: LoadRunResult,
  stats: ProducerStatsSnapshot,
  verify?: VerifyResult,
): LoadReport {
  const per = (a: number, b: number) => (b === 0 ? 0 : a / b);
  return {
    ...meta,
    events: {
      put: run.put,
      acknowledged: run.acknowledged,
      failed: run.failed,
      expired: stats.eventsExpired,
    },
    achievedEventsPerSecond: per(run.acknowledged, run.elapsedMs / 1_000),
    elapsedSeconds: run.elapsedMs / 1_000,
    putRecordsCalls: stats.putRecordsCalls,
    recordsAcknowledged: stats.recordsAcknowledged,
    recordsPerCall: per(stats.recordsSent, stats.putRecordsCalls),
    eventsPerRecord: per(stats.eventsAcknowledged, stats.recordsAcknowledged),
    bytesPerRecord: per(stats.bytesSent, stats.recordsSent),
    putPayloadUnits: stats.putPayloadUnits,
    putPayloadUnitsPerEvent: per(stats.putPayloadUnits, stats.eventsAcknowledged),
    ackLatencyMs: stats.ackLatencyMs,
    retries: stats.recordsRetried,
    throttles: stats.recordsThrottled,
    failures: run.failed,
    failureSamples: run.failureSamples,
    ...(verify
      ? {
          verify: verifySummary(verify),
        }
      : {}),
  };
}

/**
 * What the report says of a verification. When it stopped at a mismatch that
 * waiting cannot resolve, the items still catching up are only counted: listed,
 * their lower counts would read as lost events.
 */
function verifySummary(verify: VerifyResult): NonNullable<LoadReport['verify']> {
  const final = verify.mismatches.filter((m) => m.final);
  const shown = final.length > 0 ? final : verify.mismatches;
  return {
    passed: verify.passed,
    checked: verify.checked,
    mismatches: verify.mismatches.length,
    stillArriving: final.length > 0 ? verify.mismatches.length - final.length : 0,
    firstMismatches: shown.slice(0, 10).map((m) => `${m.key}: ${m.reason}`),
  };
}

/**
 * The report as an aligned text table; failure samples (error text) and
 * mismatches (aggregate keys, group values) shown with their control
 * characters escaped ({@link escapeForTerminal}).
 */
export function formatLoadReport(report: LoadReport): string {
  const n = (value: number, digits = 0) =>
    value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const ms = (value: number | undefined) => (value === undefined ? '-' : `${n(value, 1)} ms`);
  const { settings: s, events: e } = report;
  const rows: [string, string][] = [
    ['target', `${report.target} (stream ${report.stream})`],
    [
      'settings',
      `${n(s.rate)} events/s for ${s.durationSeconds} s, ${n(s.keys)} keys, ${s.skew}, packing ${report.packing}, ` +
        `${report.pacing ? 'paced to the per-shard limits' : 'not paced'}`,
    ],
    [
      'events',
      `${n(e.put)} put, ${n(e.acknowledged)} acknowledged, ${n(e.failed)} failed (${n(e.expired)} expired)`,
    ],
    [
      'achieved',
      `${n(report.achievedEventsPerSecond)} events/s over ${n(report.elapsedSeconds, 1)} s`,
    ],
    ['PutRecords calls', n(report.putRecordsCalls)],
    ['records per call', n(report.recordsPerCall, 1)],
    ['events per record', n(report.eventsPerRecord, 1)],
    ['bytes per record', n(report.bytesPerRecord)],
    [
      'PUT payload units',
      `${n(report.putPayloadUnits)} (${n(report.putPayloadUnitsPerEvent, 4)} per event)`,
    ],
    [
      'ack latency',
      `p50 ${ms(report.ackLatencyMs.p50)}, p95 ${ms(report.ackLatencyMs.p95)}, p99 ${ms(report.ackLatencyMs.p99)}, max ${ms(report.ackLatencyMs.max)}`,
    ],
    ['retries', n(report.retries)],
    ['throttles', n(report.throttles)],
    ['failures', n(report.failures)],
  ];
  if (report.verify) {
    rows.push([
      'verify',
      report.verify.passed
        ? `passed: ${n(report.verify.checked)} aggregates match the ground truth`
        : report.verify.stillArriving > 0
          ? `FAILED: ${n(report.verify.mismatches - report.verify.stillArriving)} of ${n(report.verify.checked)} aggregates can no longer match ` +
            `(counted more than this run sent, or written by something else: another producer wrote during the run, ` +
            `or events were counted twice); ${n(report.verify.stillArriving)} more were still arriving when verify stopped`
          : `FAILED: ${n(report.verify.mismatches)} of ${n(report.verify.checked)} aggregates differ`,
    ]);
  }
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`);
  for (const sample of report.failureSamples) lines.push(`  failure: ${sample}`);
  for (const mismatch of report.verify?.firstMismatches ?? [])
    lines.push(`  mismatch: ${mismatch}`);
  return lines.map((line) => escapeForTerminal(line)).join('\n');
}
