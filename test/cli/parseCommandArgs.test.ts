import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/errors.js';
import { type CommandArgsSpec, parseCommandArgs } from '../../cli/parseCommandArgs.js';

const SPEC: CommandArgsSpec = {
  options: {
    help: { type: 'boolean', short: 'h' },
    window: { type: 'string' },
    since: { type: 'string' },
    metric: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  },
};

describe('parseCommandArgs', () => {
  it('reads strings, repeated strings, flags and short aliases', () => {
    // Act
    const args = parseCommandArgs(
      ['--window', '1m', '--metric', 'a', '--metric=b', '--json', '-h'],
      SPEC,
    );

    // Assess
    expect(args.text('window')).toBe('1m');
    expect(args.texts('metric')).toEqual(['a', 'b']);
    expect(args.flag('json')).toBe(true);
    expect(args.flag('help')).toBe(true);
    expect(args.text('since')).toBeUndefined();
  });

  it.each([
    [['--windw', '1m'], 'unknown option --windw (did you mean --window?)'],
    [['--bogus'], 'unknown option --bogus'],
    [['-x'], 'unknown option -x'],
    [['--since'], 'option --since needs a value'],
    [['--since', '--window', '1m'], 'option --since needs a value'],
    [['--json=yes'], 'option --json takes no value (given "--json=yes")'],
    [['revenue'], 'unexpected argument "revenue"'],
  ])('refuses %j with one plain sentence', (argv, message) => {
    // Act, Assess
    expect(() => parseCommandArgs(argv, SPEC)).toThrow(new UsageError(message));
  });

  it.each([
    [['--since', '-1h'], '-1h'],
    [['--since', '-5'], '-5'],
    [['--since', '-.5'], '-.5'],
    [['--since=-1'], '-1'],
  ])('takes %j as a value, for the command to judge its range', (argv, value) => {
    // Act, Assess
    expect(parseCommandArgs(argv, SPEC).text('since')).toBe(value);
  });

  it('takes positionals when the command does, and throws the command’s own error', () => {
    // Prepare
    class OwnError extends Error {}
    const spec: CommandArgsSpec = {
      ...SPEC,
      positionals: true,
      error: (message) => new OwnError(message),
    };

    // Act, Assess
    expect(parseCommandArgs(['top', 'revenue'], spec).positionals).toEqual(['top', 'revenue']);
    expect(() => parseCommandArgs(['--windw'], spec)).toThrow(OwnError);
  });
});
