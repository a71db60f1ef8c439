import { describe, expect, it } from 'vitest';
import { judgeSustained, type PhaseOutcome, SUSTAINED_LIMITS } from '../../bench/judgeSustained.js';

/** A 30,000 events/s phase the pipeline kept up with; tests change one figure. */
function phase(overrides: Partial<PhaseOutcome> = {}): PhaseOutcome {
  return {
    offeredPerSecond: 30_000,
    putPerSecond: 29_990,
    backlogAtEnd: 45_000,
    drainSeconds: 1.8,
    ...overrides,
  };
}

describe('judgeSustained', () => {
  it('judges a phase sustained when its backlog is bounded and drains in time', () => {
    // Act
    const judgement = judgeSustained(phase());

    // Assess
    expect(judgement).toEqual({ sustained: true, reason: 'sustained' });
  });

  it('accepts a backlog of exactly the limit in seconds of traffic', () => {
    // Prepare: 3 s of 30,000 events/s
    const atLimit = phase({ backlogAtEnd: 90_000 });

    // Act + Assess
    expect(judgeSustained(atLimit).sustained).toBe(true);
    expect(judgeSustained({ ...atLimit, backlogAtEnd: 90_001 }).sustained).toBe(false);
  });

  it.each([
    ['the backlog is more than 3 s of traffic', { backlogAtEnd: 126_000 }, 'backlog 4.2 s > 3 s'],
    ['the backlog took more than 10 s to drain', { drainSeconds: 12.5 }, 'drain 12.5 s > 10 s'],
    ['the backlog never drained', { drainSeconds: undefined }, 'did not drain'],
    [
      'the generator put less than 95 % of the offered rate',
      { putPerSecond: 27_000 },
      'put 90.0 % of the offered rate < 95 %',
    ],
  ] as const)('does not judge a phase sustained when %s', (_, overrides, reason) => {
    // Act
    const judgement = judgeSustained(phase(overrides));

    // Assess
    expect(judgement).toEqual({ sustained: false, reason });
  });

  it('names every bound a phase broke', () => {
    // Act
    const judgement = judgeSustained(phase({ backlogAtEnd: 300_000, drainSeconds: undefined }));

    // Assess
    expect(judgement.reason).toBe('backlog 10.0 s > 3 s; did not drain');
  });

  it('scales the backlog bound with the offered rate', () => {
    // Prepare: the same 45,000 events outstanding is 1.5 s at 30,000/s but 4.5 s at 10,000/s
    const slow = phase({ offeredPerSecond: 10_000, putPerSecond: 10_000 });

    // Act + Assess
    expect(judgeSustained(phase()).sustained).toBe(true);
    expect(judgeSustained(slow)).toEqual({ sustained: false, reason: 'backlog 4.5 s > 3 s' });
  });

  it('takes other limits when given', () => {
    // Act
    const judgement = judgeSustained(phase(), { ...SUSTAINED_LIMITS, maxBacklogSeconds: 1 });

    // Assess
    expect(judgement).toEqual({ sustained: false, reason: 'backlog 1.5 s > 1 s' });
  });

  it('refuses an offered rate that is not above 0, naming it', () => {
    // Act + Assess
    expect(() => judgeSustained(phase({ offeredPerSecond: 0 }))).toThrow(
      'offeredPerSecond must be above 0 (given 0)',
    );
  });
});
