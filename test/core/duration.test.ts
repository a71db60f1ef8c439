import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/loadConfig.js';
import { parseDuration } from '../../core/duration.js';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['1.5s', 1_500],
    ['4.1m', 246_000],
    ['4.35m', 261_000],
    ['0.1h', 360_000],
    ['1d', 86_400_000],
  ])('reads %s as %i ms, whole, whatever floating point makes of the product', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5', '5 minutes', '-1s', '1e3s'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('lets a fractional duration that is a whole number of seconds pass the whole-seconds rule', () => {
    expect(loadConfig({ aggregation: { timeout: '4.1m' } }).aggregation.timeout).toBe('4.1m');
  });
});
