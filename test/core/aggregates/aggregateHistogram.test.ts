import { describe, expect, it } from 'vitest';
import {
  AGGREGATE_BUCKET_INDEX_RANGE,
  AGGREGATE_HISTOGRAM,
  histogramBucketKey,
  histogramBucketValue,
  parseHistogramBucketKey,
  ZERO_BUCKET_KEY,
} from '../../../core/aggregates/aggregateHistogram.js';
import { summableNumberProblem } from '../../../core/decimal/summableNumberRule.js';
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
    for (const value of [0, -0, 1e-13, -1e-13, AGGREGATE_HISTOGRAM.minMagnitude / 2]) {
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

  it('spans 2,994 indexes per sign between 1e-12 and 1e14', () => {
    expect(AGGREGATE_BUCKET_INDEX_RANGE.max - AGGREGATE_BUCKET_INDEX_RANGE.min + 1).toBe(
      Math.ceil(Math.log(1e14) / Math.log(GAMMA)) -
        Math.ceil(Math.log(1e-12) / Math.log(GAMMA)) +
        1,
    );
    expect(AGGREGATE_BUCKET_INDEX_RANGE.max - AGGREGATE_BUCKET_INDEX_RANGE.min + 1).toBe(2_994);
  });

  it('gives every nonzero value the storable-number rule accepts a bucket of its own', () => {
    // The smallest and largest accepted magnitudes, and the first refused ones on either side
    const smallest = 1e-12;
    const largest = 99999999999999.98;
    expect(summableNumberProblem(smallest)).toBeUndefined();
    expect(summableNumberProblem(largest)).toBeUndefined();
    expect(summableNumberProblem(1e-13)).toBeDefined();
    expect(summableNumberProblem(1e14)).toBeDefined();
    for (const value of [smallest, -smallest, largest, -largest]) {
      const reported = histogramBucketValue(histogramBucketKey(value));
      expect(Math.abs(reported - value), String(value)).toBeLessThanOrEqual(0.01 * Math.abs(value));
    }
  });
});

describe('histogramBucketValue', () => {
  it('reports every value within 1 % of itself, for either sign', () => {
    // Prepare: magnitudes spread log-uniformly over the 26 accepted decades
    const random = seededRandom(7);
    for (let i = 0; i < 10_000; i++) {
      const magnitude = 10 ** (-12 + 26 * random());
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
