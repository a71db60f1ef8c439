import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../producers/backoff.js';

describe('backoffDelay', () => {
  it.each([
    { attempt: 1, base: 100, max: 5_000, ceiling: 100 },
    { attempt: 2, base: 100, max: 5_000, ceiling: 200 },
    { attempt: 4, base: 100, max: 5_000, ceiling: 800 },
    { attempt: 10, base: 100, max: 5_000, ceiling: 5_000 },
    { attempt: 0, base: 100, max: 5_000, ceiling: 100 },
  ])(
    'caps the delay at $ceiling ms when attempt is $attempt',
    ({ attempt, base, max, ceiling }) => {
      // Act: the largest random value below 1 gives the ceiling's upper end
      const highest = backoffDelay(attempt, base, max, () => 0.999_999);
      const lowest = backoffDelay(attempt, base, max, () => 0);
      const middle = backoffDelay(attempt, base, max, () => 0.5);

      // Assess
      expect(highest).toBe(ceiling - 1);
      expect(lowest).toBe(0);
      expect(middle).toBe(Math.floor(ceiling / 2));
    },
  );

  it('returns whole milliseconds within the ceiling when jitter is random', () => {
    for (let i = 0; i < 200; i++) {
      const delay = backoffDelay(3, 10, 1_000);
      expect(Number.isInteger(delay)).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(40);
    }
  });
});
