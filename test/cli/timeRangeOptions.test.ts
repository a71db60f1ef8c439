import { describe, expect, it } from 'vitest';
import { parseTimeOption } from '../../cli/parseTimeOption.js';
import { parseArchiveArgs } from '../../ops/archive/parseArchiveArgs.js';
import { parseQueryArgs } from '../../ops/query/parseQueryArgs.js';
import { parseReconcileArgs } from '../../ops/reconcile/parseReconcileArgs.js';
import { parseRedriveArgs } from '../../ops/redrive/parseRedriveArgs.js';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const MINUTE = 60_000;

describe('parseTimeOption', () => {
  it.each([
    ['15m', NOW - 15 * MINUTE],
    ['1h', NOW - 60 * MINUTE],
    ['2d', NOW - 2 * 1_440 * MINUTE],
    ['2026-11-20T10:00Z', Date.parse('2026-11-20T10:00Z')],
    ['2026-11-20T10:00:00+01:00', Date.parse('2026-11-20T09:00:00Z')],
    ['2026-11-20', Date.parse('2026-11-20T00:00:00Z')],
    ['now', NOW],
  ])('reads %s', (text, expected) => {
    expect(parseTimeOption('since', text, NOW)).toBe(expected);
  });

  it.each(['yesterday', '2026-11-20T10:00', '1 h', ''])('refuses %j, naming the option', (text) => {
    expect(() => parseTimeOption('until', text, NOW)).toThrow(
      `--until must be a duration back from now, such as 15m, 1h or 2d, or an ISO 8601 time with an offset, such as 2026-11-22T10:00Z (given "${text}")`,
    );
  });
});

/** Each command's `--since`, read back as ms since the epoch. */
const COMMANDS: [string, (since: string) => number][] = [
  [
    'query',
    (since) => {
      const text = parseQueryArgs(['revenue', '--since', since], NOW).parameters.get('since');
      return parseTimeOption('since', text as string, NOW);
    },
  ],
  [
    'archive',
    (since) =>
      parseArchiveArgs(['query', 'SELECT 1', '--since', since], NOW).since?.getTime() ?? NaN,
  ],
  ['reconcile', (since) => parseReconcileArgs(['--since', since], NOW).sinceMs],
  ['redrive', (since) => parseRedriveArgs(['--since', since], NOW).since?.getTime() ?? NaN],
];

describe.each(COMMANDS)('streamfold %s --since', (_name, sinceOf) => {
  it('takes a duration back from now and an ISO 8601 time alike', () => {
    expect(sinceOf('90m')).toBe(NOW - 90 * MINUTE);
    expect(sinceOf('2026-11-21T08:30Z')).toBe(Date.parse('2026-11-21T08:30Z'));
  });

  it('refuses anything else with the same message', () => {
    expect(() => sinceOf('last week')).toThrow(
      '--since must be a duration back from now, such as 15m, 1h or 2d, or an ISO 8601 time with an offset, such as 2026-11-22T10:00Z (given "last week")',
    );
  });
});

describe.each(COMMANDS)('streamfold %s --since out of range', (_name, sinceOf) => {
  it.each([['99999999999999d'], ['99999999d'], ['100000d'], ['1969-12-31T23:59Z']])(
    'refuses %s, a time before 1970, with the shared message',
    (since) => {
      expect(() => sinceOf(since)).toThrow(
        new RegExp(
          `^--since must be a time from 1970-01-01T00:00Z to 9999-12-31T23:59Z \\(given "${since}"`,
        ),
      );
    },
  );

  it('refuses a --since after now, the default --until', () => {
    expect(() => sinceOf('2026-11-23T00:00Z')).toThrow(
      '--since must be before --until (given 2026-11-23T00:00:00.000Z and 2026-11-22T12:00:00.000Z)',
    );
  });
});
