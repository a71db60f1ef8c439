import { describe, expect, it } from 'vitest';
import {
  AGGREGATE_BUCKET_INDEX_RANGE,
  AGGREGATE_HISTOGRAM,
  histogramBucketKey,
  histogramBucketValue,
  parseHistogramBucketKey,
  ZERO_BUCKET_KEY,
} from '../../../core/aggregates/aggregateHistogram.js';
import { seededRandom } from '../../helpers/seededRandom.js';

const GAMMA = (1 + 0.01) / (1 - 0.01);

describe('histogramBucketKey', () => {
  it('maps a positive value to p<ceil(ln v / ln γ)>', () => {
    // Prepare
    const values = [0.01, 0.5, 1, 42, 1_000, 123_456.78];
    // Act
    const keys = values.map(histogramBucketKey);
    // Assess
    expect(keys).toEqual(values.map((v) => `p${Math.ceil(Math.log(v) / Math.log(GAMMA))}`));
  });

  it('mirrors negative values into n<index of |v|>', () => {
    expect(histogramBucketKey(-42)).toBe(histogramBucketKey(42).replace('p', 'n'));
    expect(histogramBucketKey(-0.5)).toBe(histogramBucketKey(0.5).replace('p', 'n'));
  });

  it('counts zero and magnitudes below the minimum in the zero bucket', () => {
    for (const value of [0, -0, 1e-10, -1e-12, AGGREGATE_HISTOGRAM.minMagnitude / 2]) {
      expect(histogramBucketKey(value), String(value)).toBe(ZERO_BUCKET_KEY);
    }
    expect(histogramBucketKey(AGGREGATE_HISTOGRAM.minMagnitude)).not.toBe(ZERO_BUCKET_KEY);
  });

  it('clamps magnitudes above the maximum into the highest bucket', () => {
    const top = `p${AGGREGATE_BUCKET_INDEX_RANGE.max}`;
    expect(histogramBucketKey(AGGREGATE_HISTOGRAM.maxMagnitude)).toBe(top);
    expect(histogramBucketKey(1e30)).toBe(top);
    expect(histogramBucketKey(-1e30)).toBe(`n${AGGREGATE_BUCKET_INDEX_RANGE.max}`);
  });

  it('spans 3,110 indexes per sign between 1e-9 and 1e18', () => {
    expect(AGGREGATE_BUCKET_INDEX_RANGE.max - AGGREGATE_BUCKET_INDEX_RANGE.min + 1).toBe(
      Math.ceil(Math.log(1e18) / Math.log(GAMMA)) - Math.ceil(Math.log(1e-9) / Math.log(GAMMA)) + 1,
    );
  });
});

describe('histogramBucketValue', () => {
  it('reports every value within 1 % of itself, for either sign', () => {
    // Prepare: magnitudes spread log-uniformly over 27 decades
    const random = seededRandom(7);
    for (let i = 0; i < 10_000; i++) {
      const magnitude = 10 ** (-9 + 27 * random());
      const value = random() < 0.5 ? -magnitude : magnitude;
      // Act
      const reported = histogramBucketValue(histogramBucketKey(value));
      // Assess
      expect(Math.abs(reported - value)).toBeLessThanOrEqual(0.01 * Math.abs(value));
    }
  });

  it('reports the zero bucket as 0', () => {
    expect(histogramBucketValue(ZERO_BUCKET_KEY)).toBe(0);
  });
});

describe('parseHistogramBucketKey', () => {
  it('takes keys apart and refuses anything else, naming the key', () => {
    expect(parseHistogramBucketKey('p-12')).toEqual({ sign: 1, index: -12 });
    expect(parseHistogramBucketKey('n7')).toEqual({ sign: -1, index: 7 });
    expect(() => parseHistogramBucketKey('x1')).toThrow('not a histogram bucket key: "x1"');
    expect(() => parseHistogramBucketKey('p')).toThrow('not a histogram bucket key: "p"');
    expect(() => parseHistogramBucketKey('p1.5')).toThrow(/"p1.5"/);
  });
});
