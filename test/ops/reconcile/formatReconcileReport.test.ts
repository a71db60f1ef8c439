import { describe, expect, it } from 'vitest';
import {
  describeDrift,
  formatReconcileReport,
} from '../../../ops/reconcile/formatReconcileReport.js';
import type { ReconcileReport } from '../../../ops/reconcile/reconcileAggregates.js';
import { terminalControlsIn } from '../../helpers/terminalControls.js';

const T0 = Date.parse('2026-11-22T10:00:00Z');
const iso = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const HOSTILE_GROUP = 'category=\u001b]0;pwned\u0007\u001b[2K';

function report(): ReconcileReport {
  return {
    mode: 'check',
    since: iso(0),
    until: iso(60),
    now: iso(120),
    completeBefore: iso(60),
    bufferingIntervalMs: 60_000,
    marginMs: 120_000,
    archive: {
      bucket: 'archive',
      prefix: 'events/',
      arrivalFrom: iso(0),
      arrivalTo: iso(60),
      partitions: 1,
      objects: 1,
      bytes: 100,
      lines: 4,
      invalid: { unpaired_surrogate: 1 },
      mergedLines: 1,
      mergedLineEvents: 2,
      mergedLineSamples: [{ key: 'events/\u009b2J.gz', line: 3 }],
      mergedEventTimes: [[T0, T0]],
      conversionFailedRecords: 0,
      outsideRange: 0,
      duplicates: 0,
      events: 1,
    },
    metrics: {
      cart_quantity: { judged: 1, drifted: 1, cutByRange: 0, notComplete: 0, mergedLines: 0 },
    },
    drift: [
      {
        key: `cart_quantity#${HOSTILE_GROUP}|1m#${iso(5)}`,
        metric: 'cart_quantity',
        group: HOSTILE_GROUP,
        window: '1m',
        bucket: iso(5),
        kind: 'different',
        expected: undefined,
        stored: undefined,
        differences: ['count: expected 1, stored 2'],
      },
    ],
    repair: {
      repaired: 0,
      inSync: 0,
      conflicts: 0,
      failed: [{ key: `cart_quantity#${HOSTILE_GROUP}`, error: 'refused\n\u202Eexe' }],
    },
  } as ReconcileReport;
}

describe('formatReconcileReport with values from events', () => {
  it('shows group values, object keys and errors with their control characters escaped', () => {
    // Act
    const text = formatReconcileReport(report(), 'test');

    // Assess
    expect(terminalControlsIn(text)).toEqual([]);
    expect(text).toContain(
      '  cart_quantity category=\\u001b]0;pwned\\u0007\\u001b[2K 1m 2026-11-22T10:05:00.000Z: count: expected 1, stored 2\n',
    );
    expect(text).toContain('  s3://archive/events/\\u009b2J.gz line 3\n');
    expect(text).toContain(
      '  FAILED cart_quantity#category=\\u001b]0;pwned\\u0007\\u001b[2K: refused\\n\\u202eexe\n',
    );
  });

  it('writes one drift on one line', () => {
    // Act
    const line = describeDrift({ ...(report().drift[0] as ReconcileReport['drift'][0]) });

    // Assess
    expect(terminalControlsIn(line)).toEqual([]);
    expect(line).toMatch(/^cart_quantity category=\\u001b/);
  });

  it('says how many records were read from the error documents of Parquet conversion, and only then', () => {
    // Prepare
    const withFailures = report();
    withFailures.archive.conversionFailedRecords = 2;

    // Act
    const shown = formatReconcileReport(withFailures, 'test');
    const none = formatReconcileReport(report(), 'test');

    // Assess
    expect(shown).toContain(
      'conversion failures: 2 records Parquet conversion refused were read from the error prefix (format-conversion-failed) as they were sent, and are in the figures above\n',
    );
    expect(none).not.toContain('conversion failures');
  });
});
