import { describe, expect, it } from 'vitest';
import { parseLoadArgs } from '../../load/parseLoadArgs.js';

describe('parseLoadArgs', () => {
  it('reads the documented example', () => {
    const args = parseLoadArgs(
      '--rate 5000 --duration 60 --keys 10000 --skew zipf:1.1 --target local --verify'.split(' '),
    );
    expect(args).toMatchObject({
      rate: 5000,
      durationSeconds: 60,
      keys: 10_000,
      skew: { kind: 'zipf', exponent: 1.1 },
      target: 'local',
      verify: true,
      packing: 'ndjson',
      pacing: 'auto',
    });
  });

  it('prints JSON on stdout with --json and writes the report file of --report', () => {
    expect(parseLoadArgs(['--json', '--report', 'r.json'])).toMatchObject({
      json: true,
      reportFile: 'r.json',
    });
    expect(parseLoadArgs([])).toMatchObject({ json: false, reportFile: undefined });
  });

  it.each(['auto', 'on', 'off'] as const)('reads --pacing %s', (pacing) => {
    expect(parseLoadArgs(['--pacing', pacing]).pacing).toBe(pacing);
  });

  it.each([
    [['--rate', '0'], '--rate must be a number of events per second above 0 (given "0")'],
    [['--duration', 'soon'], '--duration must be a number of seconds above 0 (given "soon")'],
    [['--keys', '2.5'], '--keys must be a whole number above 0 (given "2.5")'],
    [['--packing', 'gzip'], '--packing must be one of ndjson, kpl, none (given "gzip")'],
    [['--target', 'cloud'], '--target must be local or aws (given "cloud")'],
    [['--pacing', 'fast'], '--pacing must be auto, on or off (given "fast")'],
    [['--skew', 'zipf:0'], '(given "zipf:0")'],
    [['--bogus'], 'unknown option --bogus'],
    [['--rat', '5'], 'unknown option --rat (did you mean --rate?)'],
    [['--json', 'report.json'], 'write it to a file with --report report.json'],
  ])('rejects %j with a message naming it', (argv, message) => {
    expect(() => parseLoadArgs(argv)).toThrow(message);
  });
});
