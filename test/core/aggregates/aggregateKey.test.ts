import { describe, expect, it } from 'vitest';
import {
  aggregatePartitionKey,
  aggregateSortKey,
  bucketStart,
} from '../../../core/aggregates/aggregateKey.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('bucketStart', () => {
  it.each([
    { time: '2026-11-22T10:15:42.123Z', sizeMs: MINUTE, start: '2026-11-22T10:15:00.000Z' },
    { time: '2026-11-22T10:15:00.000Z', sizeMs: MINUTE, start: '2026-11-22T10:15:00.000Z' },
    { time: '2026-11-22T10:15:59.999Z', sizeMs: MINUTE, start: '2026-11-22T10:15:00.000Z' },
    { time: '2026-11-22T10:59:59.999Z', sizeMs: HOUR, start: '2026-11-22T10:00:00.000Z' },
    { time: '2026-11-22T23:59:59.999Z', sizeMs: DAY, start: '2026-11-22T00:00:00.000Z' },
    { time: '2026-11-22T12:00:00.000+05:00', sizeMs: DAY, start: '2026-11-22T00:00:00.000Z' },
    { time: '1969-12-31T23:59:30.000Z', sizeMs: MINUTE, start: '1969-12-31T23:59:00.000Z' },
  ])('returns $start when time is $time and size is $sizeMs ms', ({ time, sizeMs, start }) => {
    // Act
    const result = bucketStart(Date.parse(time), sizeMs);

    // Assess
    expect(new Date(result).toISOString()).toBe(start);
  });
});

describe('aggregatePartitionKey', () => {
  it('joins metric and group with # when building the key', () => {
    expect(aggregatePartitionKey('revenue', 'country=DE')).toBe('revenue#country=DE');
  });
});

describe('aggregateSortKey', () => {
  it('joins window and ISO bucket start with # when building the key', () => {
    expect(aggregateSortKey('1m', Date.parse('2026-11-22T10:15:00Z'))).toBe(
      '1m#2026-11-22T10:15:00.000Z',
    );
  });

  it('sorts like the bucket start when keys of one window are compared', () => {
    // Prepare
    const starts = [3, 1, 2, 10, 100].map((n) => Date.parse('2026-01-01T00:00:00Z') + n * HOUR);

    // Act
    const keys = starts.map((start) => aggregateSortKey('1h', start));

    // Assess
    const byKey = [...keys].sort();
    const byTime = [...starts].sort((a, b) => a - b).map((start) => aggregateSortKey('1h', start));
    expect(byKey).toEqual(byTime);
  });
});
