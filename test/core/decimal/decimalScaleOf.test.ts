import { describe, expect, it } from 'vitest';
import { decimalScaleOf } from '../../../core/decimal/decimalScaleOf.js';
import { seededRandom } from '../../helpers/seededRandom.js';

/** Decimal places of `String(value)`, read from the text alone. */
function writtenPlaces(value: number): number {
  const [mantissa = '', exponent = '0'] = String(value).split('e');
  const fraction = mantissa.split('.')[1] ?? '';
  return Math.max(0, fraction.length - Number(exponent));
}

describe('decimalScaleOf', () => {
  it.each([
    [0, 0],
    [-0, 0],
    [42, 0],
    [0.1, 1],
    [29.99, 2],
    [-1234.5, 1],
    [1e-12, 12],
    [1.000000000001, 12],
    [9007199254740991, 0],
  ])('gives %d the %d decimal places it is written with', (value, places) => {
    expect(decimalScaleOf(value)).toBe(places);
  });

  it.each([
    [5e-324, 'a subnormal'],
    [0.30000000000000004, '17 significant digits'],
    [1e20, 'an integer beyond 2^53'],
    [123456789012.3456, '16 significant digits'],
  ])('gives up on %d (%s), leaving it to the exact path', (value) => {
    expect(decimalScaleOf(value)).toBe(-1);
  });

  it('is the written number of decimal places whenever it answers, over 100,000 values', () => {
    // Prepare: cents, values of 0-15 decimal places and every magnitude, full-precision doubles
    const random = seededRandom(5);
    const draws = [
      () => Math.round(random() * 1e7) / 100,
      () => {
        const places = Math.floor(random() * 16);
        return (
          Math.round((random() - 0.5) * 10 ** (places + Math.floor(random() * 4))) / 10 ** places
        );
      },
      () => (random() - 0.5) * 10 ** (Math.floor(random() * 40) - 20),
    ];
    let answered = 0;
    for (let i = 0; i < 100_000; i++) {
      const value = (draws[i % draws.length] as () => number)();
      // Act
      const scale = decimalScaleOf(value);
      // Assess
      if (scale === -1) continue;
      answered++;
      expect(scale, String(value)).toBe(writtenPlaces(value));
      expect(Math.round(value * 10 ** scale) / 10 ** scale, String(value)).toBe(value);
    }
    expect(answered).toBeGreaterThan(60_000);
  });
});
