import { describe, expect, it } from 'vitest';
import { type RatedPhase, sustainedCeiling } from '../../bench/sustainedCeiling.js';

/** Phases at 10k, 20k, … with the given verdicts in rate order. */
function ladder(...verdicts: boolean[]): RatedPhase[] {
  return verdicts.map((sustained, i) => ({ offeredPerSecond: (i + 1) * 10_000, sustained }));
}

describe('sustainedCeiling', () => {
  it('is the highest rate when every rate was sustained', () => {
    expect(sustainedCeiling(ladder(true, true, true))?.offeredPerSecond).toBe(30_000);
  });

  it('stops below the first rate that was not sustained', () => {
    expect(sustainedCeiling(ladder(true, true, false, false))?.offeredPerSecond).toBe(20_000);
  });

  it('does not count a rate sustained above one that was not', () => {
    expect(sustainedCeiling(ladder(true, true, false, true))?.offeredPerSecond).toBe(20_000);
  });

  it('is undefined when the lowest rate was not sustained', () => {
    expect(sustainedCeiling(ladder(false, true))).toBeUndefined();
    expect(sustainedCeiling([])).toBeUndefined();
  });

  it('orders the phases by rate whatever order they come in', () => {
    // Prepare
    const [ten, twenty, thirty] = ladder(true, true, false) as [RatedPhase, RatedPhase, RatedPhase];

    // Act + Assess
    expect(sustainedCeiling([thirty, ten, twenty])).toBe(twenty);
  });
});
