import { describe, expect, it } from 'vitest';
import { buildLoadReport, formatLoadReport, type LoadReport } from '../../load/LoadReport.js';
import type { VerifyResult } from '../../load/verifyAggregates.js';
import { terminalControlsIn } from '../helpers/terminalControls.js';

const figures = (count: number) => ({ count, sum: undefined, min: undefined, max: undefined });

const REPORT: LoadReport = {
  target: 'local',
  stream: 'streamfold-events',
  packing: 'ndjson',
  pacing: true,
  settings: { rate: 100, durationSeconds: 1, keys: 10, skew: 'uniform' },
  events: { put: 100, acknowledged: 99, failed: 1, expired: 0 },
  achievedEventsPerSecond: 99,
  elapsedSeconds: 1,
  putRecordsCalls: 1,
  recordsAcknowledged: 1,
  recordsPerCall: 1,
  eventsPerRecord: 99,
  bytesPerRecord: 50_000,
  putPayloadUnits: 2,
  putPayloadUnitsPerEvent: 0.02,
  ackLatencyMs: { count: 1, p50: 1, p95: 1, p99: 1, max: 1 } as LoadReport['ackLatencyMs'],
  retries: 0,
  throttles: 0,
  failures: 1,
  failureSamples: ['PutRecords refused: "\u001b]0;pwned\u0007"\nat line 2'],
  verify: {
    passed: false,
    checked: 2,
    mismatches: 1,
    stillArriving: 0,
    firstMismatches: ['cart_quantity#category=\u202Eexe|1m#…: count expected 1, stored 2'],
  },
};

describe('formatLoadReport', () => {
  it('shows failure samples and mismatches with their control characters escaped, one line each', () => {
    // Act
    const text = formatLoadReport(REPORT);

    // Assess
    expect(terminalControlsIn(text)).toEqual([]);
    const lines = text.split('\n');
    expect(lines.at(-2)).toBe(
      '  failure: PutRecords refused: "\\u001b]0;pwned\\u0007"\\nat line 2',
    );
    expect(lines.at(-1)).toBe(
      '  mismatch: cart_quantity#category=\\u202eexe|1m#…: count expected 1, stored 2',
    );
  });
});

describe('buildLoadReport', () => {
  it('lists what waiting cannot resolve and only counts the items still arriving', () => {
    // Prepare: verify stopped at a count above the expected one while two items were behind
    const behind = (key: string) => ({
      key,
      expected: figures(5),
      actual: figures(4),
      reason: 'count is 4, expected 5',
      final: false,
    });
    const verify: VerifyResult = {
      passed: false,
      checked: 4,
      matching: 1,
      mismatches: [
        behind('a|1m#x'),
        {
          key: 'b|1m#x',
          expected: figures(2),
          actual: figures(3),
          reason: 'count is 3, expected 2',
          final: true,
        },
        behind('c|1m#x'),
      ],
    };
    const { verify: _omitted, ...rest } = REPORT;
    const run = {
      elapsedMs: 1_000,
      generatingMs: 1_000,
      put: 1,
      acknowledged: 1,
      failed: 0,
      failureSamples: [],
    };
    const stats = {
      eventsExpired: 0,
      putRecordsCalls: 1,
      recordsAcknowledged: 1,
      recordsSent: 1,
      eventsAcknowledged: 1,
      bytesSent: 1,
      putPayloadUnits: 1,
      ackLatencyMs: REPORT.ackLatencyMs,
      recordsRetried: 0,
      recordsThrottled: 0,
    } as unknown as Parameters<typeof buildLoadReport>[2];

    // Act
    const report = buildLoadReport(rest, run, stats, verify);

    // Assess
    expect(report.verify).toEqual({
      passed: false,
      checked: 4,
      mismatches: 3,
      stillArriving: 2,
      firstMismatches: ['b|1m#x: count is 3, expected 2'],
    });
    expect(formatLoadReport(report)).toMatch(
      /FAILED: 1 of 4 aggregates can no longer match \(counted more than this run sent, or written by something else: another producer wrote during the run, or events were counted twice\); 2 more were still arriving when verify stopped/,
    );
  });
});
