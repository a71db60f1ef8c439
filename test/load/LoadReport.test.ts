import { describe, expect, it } from 'vitest';
import { formatLoadReport, type LoadReport } from '../../load/LoadReport.js';
import { terminalControlsIn } from '../helpers/terminalControls.js';

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
