import { describe, expect, it } from 'vitest';
import type { AggregateFigures } from '../../../core/aggregates/GroundTruth.js';
import { embeddedJsonObjects } from '../../../ops/reconcile/embeddedJsonObjects.js';
import { findDrift } from '../../../ops/reconcile/findDrift.js';
import { formatReconcileReport } from '../../../ops/reconcile/formatReconcileReport.js';
import { type JudgedRange, judgeBucket } from '../../../ops/reconcile/judgeBucket.js';
import type { StoredItem } from '../../../ops/reconcile/readStoredAggregates.js';
import type { ReconcileReport } from '../../../ops/reconcile/reconcileAggregates.js';

const MINUTE = 60_000;
const T0 = Date.parse('2026-11-22T10:00:00Z');
const RANGE: JudgedRange = {
  sinceMs: T0,
  untilMs: T0 + 60 * MINUTE,
  completeBeforeMs: T0 + 60 * MINUTE,
};

describe('embeddedJsonObjects', () => {
  it.each([
    ['two records concatenated', '{"id":"a"}{"id":"b"}', ['{"id":"a"}', '{"id":"b"}']],
    ['garbage, then a record', 'not json{"id":"b"}', ['{"id":"b"}']],
    ['a record, then garbage', '{"id":"a"}xyz', ['{"id":"a"}']],
    [
      'an unterminated string, then a record',
      '{"broken{"id":"b","n":[1,{"x":"}"}]}',
      ['{"id":"b","n":[1,{"x":"}"}]}'],
    ],
    [
      'three records, braces inside strings',
      '{"s":"}{"}{"s":"{"}{"s":"\\"}"}',
      ['{"s":"}{"}', '{"s":"{"}', '{"s":"\\"}"}'],
    ],
    ['nothing but garbage', 'not json at all', []],
    ['brackets that never close', '['.repeat(10_000), []],
  ])('finds the objects in %s', (_, line, objects) => {
    expect(embeddedJsonObjects(line)).toEqual({ objects, complete: true });
  });

  it('does not report an object nested in one it found', () => {
    expect(embeddedJsonObjects('{"id":"a","data":{"id":"b"}}garbage').objects).toEqual([
      '{"id":"a","data":{"id":"b"}}',
    ]);
  });

  it('searches a 256 KiB line of braces in linear time', () => {
    // Prepare: every `{` is a start whose scan runs until the nesting cap (quadratic would take minutes).
    const line = '{'.repeat(1 << 18);

    // Act
    const started = performance.now();
    const found = embeddedJsonObjects(line);

    // Assess
    expect(found).toEqual({ objects: [], complete: true });
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('says the search is incomplete when it stops at its work limit', () => {
    expect(embeddedJsonObjects(`${'{"a":'.repeat(20)}x{"id":"b"}`, 100)).toEqual({
      objects: [],
      complete: false,
    });
  });
});

describe('judgeBucket with merged archive lines', () => {
  const range: JudgedRange = {
    ...RANGE,
    mergedEventTimes: [[T0 + 5 * MINUTE + 30_000, T0 + 5 * MINUTE + 30_000]],
  };

  it('leaves out every bucket that can hold an event of a merged line, of every window', () => {
    expect(judgeBucket(T0 + 5 * MINUTE, MINUTE, range)).toBe('merged-lines');
    expect(judgeBucket(T0, 60 * MINUTE, range)).toBe('merged-lines');
  });

  it('judges the buckets next to it', () => {
    expect(judgeBucket(T0 + 4 * MINUTE, MINUTE, range)).toBe('judged');
    expect(judgeBucket(T0 + 6 * MINUTE, MINUTE, range)).toBe('judged');
  });

  it('counts a bucket as holding the time it starts at, not the time it ends at', () => {
    const atEdge: JudgedRange = {
      ...RANGE,
      mergedEventTimes: [[T0 + 5 * MINUTE, T0 + 5 * MINUTE]],
    };
    expect(judgeBucket(T0 + 4 * MINUTE, MINUTE, atEdge)).toBe('judged');
    expect(judgeBucket(T0 + 5 * MINUTE, MINUTE, atEdge)).toBe('merged-lines');
  });
});

describe('findDrift with merged archive lines', () => {
  const key = (minute: number) =>
    `events#type=purchase|1m#${new Date(T0 + minute * MINUTE).toISOString()}`;
  const figures = (count: number): AggregateFigures => ({
    count,
    sum: undefined,
    min: undefined,
    max: undefined,
  });
  const item = (count: number): StoredItem => ({ cnt: { N: String(count) } });

  it('does not call an item drifted, so a repair leaves it alone, where a merged line may hide counted events', () => {
    // Prepare: the table counted 3 events at minute 5, the archive shows 1 (2 are in a merged line).
    const expected = new Map([
      [key(5), figures(1)],
      [key(7), figures(4)],
    ]);
    const stored = new Map([
      [key(5), item(3)],
      [key(7), item(5)],
    ]);
    const range: JudgedRange = {
      ...RANGE,
      mergedEventTimes: [[T0 + 5 * MINUTE + 1_000, T0 + 5 * MINUTE + 2_000]],
    };

    // Act
    const findings = findDrift(expected, stored, ['events'], new Map([['1m', MINUTE]]), range);

    // Assess: minute 5 is left out; minute 7 is judged and drifted.
    expect(findings.metrics.events).toEqual({
      judged: 1,
      drifted: 1,
      cutByRange: 0,
      notComplete: 0,
      mergedLines: 1,
    });
    expect(findings.drift.map((drift) => drift.key)).toEqual([key(7)]);
  });
});

describe('formatReconcileReport with merged archive lines', () => {
  it('reports merged lines apart from the lines the handler refuses, with their place, and the buckets left out', () => {
    // Prepare
    const report: ReconcileReport = {
      mode: 'check',
      since: new Date(T0).toISOString(),
      until: new Date(T0 + 60 * MINUTE).toISOString(),
      now: new Date(T0 + 120 * MINUTE).toISOString(),
      completeBefore: new Date(T0 + 60 * MINUTE).toISOString(),
      bufferingIntervalMs: 60_000,
      marginMs: 120_000,
      archive: {
        bucket: 'archive',
        prefix: 'events/',
        arrivalFrom: new Date(T0).toISOString(),
        arrivalTo: new Date(T0 + 60 * MINUTE).toISOString(),
        partitions: 1,
        objects: 1,
        bytes: 100,
        lines: 4,
        invalid: { unknown_type: 1 },
        mergedLines: 1,
        mergedLineEvents: 2,
        mergedLineSamples: [{ key: 'events/a.gz', line: 3 }],
        mergedEventTimes: [[T0 + 5 * MINUTE, T0 + 5 * MINUTE]],
        conversionFailedRecords: 0,
        outsideRange: 0,
        duplicates: 0,
        events: 1,
      },
      metrics: {
        events: { judged: 1, drifted: 0, cutByRange: 0, notComplete: 0, mergedLines: 2 },
      },
      drift: [],
    };

    // Act
    const text = formatReconcileReport(report, 'test');

    // Assess
    expect(text).toContain('1 unknown_type invalid (refused by the handler too)');
    expect(text).toContain('merged lines: 1 archive lines are not JSON but hold 2 valid events');
    expect(text).toContain('  s3://archive/events/a.gz line 3\n');
    expect(text).toContain(
      'events: 1 items judged, 0 drifted; not judged: 2 may hold events of merged lines',
    );
  });
});
