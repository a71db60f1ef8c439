import { describe, expect, it } from 'vitest';
import { checkSampleEvents } from '../../../core/config/checkSampleEvents.js';
import { ConfigError } from '../../../core/config/errors.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import type { SampleEventFactory } from '../../../core/events/SampleEventFactory.js';

function problemOf(sampleEvents: unknown): string | undefined {
  const config = { ...loadConfig(), sampleEvents: sampleEvents as SampleEventFactory };
  try {
    checkSampleEvents(config);
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join('\n');
    throw error;
  }
}

describe('checkSampleEvents', () => {
  it("accepts the web shop's generator", () => {
    expect(problemOf(loadConfig().sampleEvents)).toBeUndefined();
  });

  it.each<[string, unknown, string]>([
    [
      'a generator function',
      function* () {
        yield {};
      },
      'calling it gave an iterator (is it a generator function?)',
    ],
    ['a function making events itself', () => ({ id: 'x' }), 'calling it gave an object'],
    [
      'a factory whose function throws',
      () => () => {
        throw new Error('no more');
      },
      'the function it returned threw Error: no more',
    ],
    [
      'events the catalog refuses',
      () => () => ({
        id: 'e1',
        type: 'signup',
        time: new Date().toISOString(),
        source: 't',
        data: {},
      }),
      'it made an event the catalog refuses: ',
    ],
  ])('refuses %s, saying what it gave', (_name, factory, problem) => {
    const found = problemOf(factory);
    expect(found).toContain(
      'sampleEvents: must be a function returning a function that makes one event of the catalog on each call; ',
    );
    expect(found).toContain(problem);
  });
});
