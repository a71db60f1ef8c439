import { describe, expect, it } from 'vitest';
import { archiveListingPrefixes } from '../../../ops/reconcile/archiveListingPrefixes.js';
import { decimalDifference } from '../../../ops/reconcile/decimalDifference.js';
import { figureDifferences } from '../../../ops/reconcile/findDrift.js';
import { judgeBucket } from '../../../ops/reconcile/judgeBucket.js';
import { parseReconcileArgs } from '../../../ops/reconcile/parseReconcileArgs.js';
import { arrivalOf } from '../../../ops/reconcile/readArchivedEvents.js';
import { correctionUpdates } from '../../../ops/reconcile/repairItem.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-22T10:00:00Z');
const DESCRIPTION = {
  metric: 'revenue',
  group: 'country=DE',
  window: '1m',
  bucket: '2026-11-22T10:00:00.000Z',
  expiresAt: 1_800_000_000,
};

describe('archiveListingPrefixes', () => {
  it('lists one prefix per arrival hour, expanded like Firehose expands the archive prefix', () => {
    const prefix =
      'events/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';
    expect(archiveListingPrefixes(prefix, T0 - 30 * 60_000, T0 + HOUR)).toEqual([
      'events/year=2026/month=11/day=22/hour=09/',
      'events/year=2026/month=11/day=22/hour=10/',
      'events/year=2026/month=11/day=22/hour=11/',
    ]);
  });

  it('stops the prefix before an expression finer than an hour', () => {
    const prefix =
      'events/dt=!{timestamp:yyyy-MM-dd}/!{timestamp:HH-mm}/!{firehose:random-string}/';
    expect(archiveListingPrefixes(prefix, T0, T0 + 2 * HOUR)).toEqual(['events/dt=2026-11-22/']);
  });

  it('lists a range of decades with one prefix per whole year, month or day, at once', () => {
    // Prepare
    const prefix =
      'events/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';
    const started = performance.now();

    // Act
    const prefixes = archiveListingPrefixes(prefix, Date.parse('1970-01-01T00:00:00Z'), T0);

    // Assess
    expect(performance.now() - started).toBeLessThan(1_000);
    // 56 whole years, 10 whole months, 21 whole days and 11 hours up to T0's hour included.
    expect(prefixes).toHaveLength(56 + 10 + 21 + 11);
    expect(prefixes[0]).toBe('events/year=1970/');
    expect(prefixes.at(-1)).toBe('events/year=2026/month=11/day=22/hour=10/');
  });
});

describe('arrivalOf', () => {
  it('reads the arrival stamped into a Firehose object name', () => {
    const key =
      'events/year=2026/month=11/day=22/hour=10/streamfold-events-archive-1-2026-11-22-10-15-03-0f8fad5b-d9cb-469f-a165-70867728950e.gz';
    expect(arrivalOf(key)).toBe(Date.parse('2026-11-22T10:15:03Z'));
    expect(arrivalOf('events/other.json')).toBeUndefined();
  });
});

describe('decimalDifference', () => {
  it.each([
    ['142.6', '100.1', '42.5'],
    ['0.3', '0.1', '0.2'],
    ['5', '7.25', '-2.25'],
    ['1e-7', '0', '0.0000001'],
    ['1.5e+21', '1', '1499999999999999999999'],
    ['12.5', '12.5', '0'],
  ])('%s − %s = %s exactly', (a, b, difference) => {
    expect(decimalDifference(a, b)).toBe(difference);
  });

  it('refuses text that is not a number, quoting it', () => {
    expect(() => decimalDifference('abc', '1')).toThrow('not a decimal number: "abc"');
  });
});

describe('judgeBucket', () => {
  const range = { sinceMs: T0, untilMs: T0 + 2 * HOUR, completeBeforeMs: T0 + HOUR };

  it('judges a bucket inside the range that ended before the completeness cut-off', () => {
    expect(judgeBucket(T0 + 30 * 60_000, 60_000, range)).toBe('judged');
    expect(judgeBucket(T0, HOUR, range)).toBe('judged');
  });

  it('leaves out buckets the range cuts and buckets that may still have records in the buffer', () => {
    expect(judgeBucket(T0 - 60_000, 60_000, range)).toBe('cut-by-range');
    expect(judgeBucket(T0, 86_400_000, range)).toBe('cut-by-range');
    expect(judgeBucket(T0 + HOUR, 60_000, range)).toBe('not-complete');
  });
});

describe('parseReconcileArgs', () => {
  const now = Date.parse('2026-11-22T12:00:00Z');

  it('reads ISO times and durations back from now', () => {
    const args = parseReconcileArgs(['--since', '2d', '--until', '2026-11-22T10:00Z'], now);
    expect(args.sinceMs).toBe(now - 2 * 86_400_000);
    expect(args.untilMs).toBe(Date.parse('2026-11-22T10:00Z'));
    expect(parseReconcileArgs([], now)).toMatchObject({
      sinceMs: now - 86_400_000,
      untilMs: now,
      repair: false,
      target: 'local',
    });
  });

  it.each([
    [['--since', 'yesterday'], '--since must be a duration back from now'],
    [['--since', '2026-11-22T10:00'], '(given "2026-11-22T10:00")'],
    [['--since', '1h', '--until', '2h'], '--since must be before --until'],
    [['--backfill'], '--backfill needs --metric NAME'],
    [['--metric', 'x', '--backfill', '--repair'], 'cannot be combined'],
    [['--target', 'gcp'], '--target must be local or aws (given "gcp")'],
    [['--target', 'aws'], '--bucket is required with --target aws'],
    [['--margin', 'soon'], '--margin must be a duration'],
    [['--what'], 'unknown option --what'],
    [['--metrc', 'revenue'], 'unknown option --metrc (did you mean --metric?)'],
  ])('refuses %j, naming the option and value', (argv, message) => {
    expect(() => parseReconcileArgs(argv, now)).toThrow(message);
  });
});

describe('figureDifferences', () => {
  it('lists each differing figure and histogram bucket, and nothing for the same sum written differently', () => {
    const expected = { count: 3, sum: '0.3', min: 0.1, max: 0.1, buckets: { p1: 3 } };
    expect(figureDifferences(expected, { ...expected, sum: '0.30' })).toEqual([]);
    expect(figureDifferences(expected, { ...expected, sum: '0.30000000000000004' })).toEqual([
      'sum: expected 0.3, stored 0.30000000000000004',
    ]);
    expect(
      figureDifferences(expected, {
        count: 4,
        sum: '5.3',
        min: 0.1,
        max: 5,
        buckets: { p1: 3, p9: 1 },
      }),
    ).toEqual([
      'count: expected 3, stored 4',
      'sum: expected 0.3, stored 5.3',
      'max: expected 0.1, stored 5',
      'bucket p9: expected 0, stored 1',
    ]);
  });
});

describe('correctionUpdates', () => {
  it('adds the deltas under conditions on the read count, sum, buckets and extremes, never naming a watermark', () => {
    // Prepare: stored one value too many (5 in bucket p160), and a watermark.
    const stored = {
      pk: { S: 'revenue#country=DE' },
      sk: { S: '1m#2026-11-22T10:00:00.000Z' },
      metric: { S: 'revenue' },
      cnt: { N: '3' },
      sum: { N: '25.5' },
      min: { N: '5' },
      max: { N: '10.5' },
      'h:p160': { N: '1' },
      'h:p236': { N: '2' },
      'wm:shardId-000000000000': { S: '0012345' },
    };
    const expected = { count: 2, sum: '20.5', min: 10, max: 10.5, buckets: { p236: 2 } };
    // Act
    const updates = correctionUpdates(expected, stored, DESCRIPTION);
    // Assess
    expect(updates).toHaveLength(2);
    const [buckets, main] = updates;
    const resolve = (update: typeof main) => {
      const names = update?.ExpressionAttributeNames ?? {};
      const values = update?.ExpressionAttributeValues ?? {};
      const text = (expression = '') =>
        expression
          .replace(/#a\d+/g, (alias) => names[alias] as string)
          .replace(/:v\d+/g, (p) => String(values[p]?.N ?? values[p]?.S));
      return {
        update: text(update?.UpdateExpression),
        condition: text(update?.ConditionExpression),
      };
    };
    expect(resolve(buckets)).toEqual({
      update: 'REMOVE h:p160',
      condition: 'cnt = 3 AND sum = 25.5 AND h:p160 = 1',
    });
    expect(resolve(main)).toEqual({
      update: 'SET min = 10 ADD cnt -1, sum -5',
      condition: 'cnt = 3 AND sum = 25.5 AND min = 5',
    });
    expect(JSON.stringify(updates)).not.toMatch(/wm/);
  });

  it('creates a missing item with its descriptive attributes, only if it is still missing', () => {
    const expected = { count: 1, sum: '42.5', min: 42.5, max: 42.5, buckets: { p187: 1 } };
    const [buckets, main] = correctionUpdates(expected, undefined, DESCRIPTION);
    expect(buckets?.ConditionExpression).toBe(
      'attribute_not_exists(#a0) AND attribute_not_exists(#a1) AND attribute_not_exists(#a2)',
    );
    expect(main?.ExpressionAttributeNames).toMatchObject({ '#a0': 'cnt', '#a1': 'sum' });
    expect(Object.values(main?.ExpressionAttributeNames ?? {})).toEqual(
      expect.arrayContaining(['metric', 'grp', 'win', 'bucket', 'expiresAt', 'min', 'max']),
    );
  });

  it('has nothing to do when the stored item already holds the expected figures', () => {
    const stored = { cnt: { N: '1' }, sum: { N: '42.5' }, min: { N: '42.5' }, max: { N: '42.5' } };
    expect(
      correctionUpdates({ count: 1, sum: '42.5', min: 42.5, max: 42.5 }, stored, DESCRIPTION),
    ).toEqual([]);
  });
});
