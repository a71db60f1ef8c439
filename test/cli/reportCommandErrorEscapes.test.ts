import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/errors.js';
import { reportCommandError } from '../../cli/reportCommandError.js';
import { ConfigError } from '../../core/config/errors.js';
import { terminalControlsIn } from '../helpers/terminalControls.js';

function report(error: unknown): { code: number; err: string } {
  let err = '';
  const code = reportCommandError('query', error, {
    err: { write: (text: string) => (err += text) },
    env: {},
  });
  return { code, err };
}

describe('reportCommandError with values from data in the message', () => {
  it.each([
    ['a bad argument', new UsageError('unknown metric "\u001b]0;x\u0007" (metrics: revenue)'), 2],
    [
      'an invalid configuration',
      new ConfigError(['metrics.0.name: "a\u009b2Jb" is not a name', 'local.host: "\u001b[2K"']),
      2,
    ],
    ['an unexpected error', new Error('group \u202Eexe.txt\u2066 failed'), 1],
  ])(
    'writes %s with its control characters escaped and its own lines kept',
    (_name, error, exit) => {
      // Act
      const { code, err } = report(error);

      // Assess
      expect(code).toBe(exit);
      expect(terminalControlsIn(err)).toEqual([]);
      expect(err).toMatch(/\\u001b|\\u009b|\\u202e/);
      expect(err.split('\n').length).toBeGreaterThan(2);
    },
  );
});
