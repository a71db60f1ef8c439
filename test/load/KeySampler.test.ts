import { describe, expect, it } from 'vitest';
import { createKeySampler, parseKeySkew } from '../../load/KeySampler.js';
import { seededRandom } from '../helpers/seededRandom.js';

describe('parseKeySkew', () => {
  it.each([
    ['uniform', { kind: 'uniform' }],
    ['zipf:1.1', { kind: 'zipf', exponent: 1.1 }],
    ['zipf:2', { kind: 'zipf', exponent: 2 }],
  ])('parses %s', (text, expected) => {
    expect(parseKeySkew(text)).toEqual(expected);
  });

  it.each(['zipf', 'zipf:0', 'zipf:-1', 'normal', 'zipf:abc'])(
    'rejects %s naming the value',
    (text) => {
      expect(() => parseKeySkew(text)).toThrow(`(given "${text}")`);
    },
  );
});

describe('createKeySampler', () => {
  it('draws Zipf(1.1) keys with the hottest key at its expected share', () => {
    // Prepare: P(k) = (k+1)^-s / H(n, s)
    const keys = 10_000;
    const s = 1.1;
    let harmonic = 0;
    for (let k = 1; k <= keys; k++) harmonic += 1 / k ** s;
    const next = createKeySampler(keys, { kind: 'zipf', exponent: s }, seededRandom(7));
    const counts = new Map<number, number>();

    // Act
    const draws = 200_000;
    for (let i = 0; i < draws; i++) {
      const key = next();
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }

    // Assess: shares of keys 0 and 1 within 5 % of theory; every key in range
    for (const k of [0, 1]) {
      const expected = 1 / (k + 1) ** s / harmonic;
      expect(((counts.get(k) ?? 0) / draws - expected) / expected).toBeLessThan(0.05);
    }
    expect(Math.min(...counts.keys())).toBeGreaterThanOrEqual(0);
    expect(Math.max(...counts.keys())).toBeLessThan(keys);
  });

  it('draws uniform keys evenly', () => {
    const next = createKeySampler(10, { kind: 'uniform' }, seededRandom(3));
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const key = next();
      counts[key] = (counts[key] ?? 0) + 1;
    }
    expect(Math.max(...counts) / Math.min(...counts)).toBeLessThan(1.1);
  });

  it('rejects a key count that is not a whole number above 0', () => {
    expect(() => createKeySampler(0, { kind: 'uniform' })).toThrow(
      '--keys must be a whole number above 0 (given 0)',
    );
  });
});
