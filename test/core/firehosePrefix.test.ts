import { describe, expect, it } from 'vitest';
import {
  evaluateFirehosePrefix,
  expandFirehosePrefix,
  type FirehosePrefixField,
  firehosePrefixProblems,
  parseFirehosePrefix,
  resolveFirehosePrefix,
} from '../../core/codec/firehosePrefix.js';
import { ConfigError } from '../../core/config/errors.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import { archiveListPrefixes } from '../../ops/archive/archiveListPrefixes.js';

// Rules quoted from the Amazon Data Firehose Developer Guide, "Understand custom
// prefixes for Amazon S3 objects":
// - "For the timestamp namespace, any character that isn't in single quotes is
//   evaluated. In other words, any string escaped with single quotes in the value
//   field is taken literally."
// - "If you specify a prefix that doesn't contain a timestamp namespace expression,
//   Firehose appends the expression !{timestamp:yyyy/MM/dd/HH/} to the value in the
//   Prefix field."
// - "Valid values for this namespace are strings that are valid Java DateTimeFormatter
//   strings."
// - "The sequence !{ can only appear in !{namespace:value} expressions."
// - "If you specify an expression for ErrorOutputPrefix, you must include at least one
//   instance of !{firehose:error-output-type}."
// - "Prefix can't contain !{firehose:error-output-type}."
// - "Neither Prefix nor ErrorOutputPrefix can be greater than 512 characters after
//   they're evaluated."
// - random-string: "Evaluates to a random string of 11 characters. If you use it more
//   than once in the same expression, every instance evaluates to a new random string."
//   "You can use it with both prefix types."

describe('expandFirehosePrefix', () => {
  const time = new Date('2026-03-04T05:06:07.890Z');

  // The guide's "Example prefixes" and firehose-namespace tables. Its rows evaluate at
  // different instants (08/10, 07/06 23h, 08/03), so each row carries its own.
  it.each<[string, FirehosePrefixField, string, string]>([
    [
      'myFirehoseFailures/!{firehose:error-output-type}/',
      'ErrorOutputPrefix',
      '2018-08-10T10:30:00Z',
      'myFirehoseFailures/processing-failed/',
    ],
    [
      'myFirehose/DeliveredYear=!{timestamp:yyyy}/anyMonth/rand=!{firehose:random-string}',
      'Prefix',
      '2018-08-10T10:30:00Z',
      'myFirehose/DeliveredYear=2018/anyMonth/rand=5abf82daaa5',
    ],
    [
      'myFirehoseFailures/!{firehose:error-output-type}/!{timestamp:yyyy}/anyMonth/!{timestamp:dd}',
      'ErrorOutputPrefix',
      '2018-08-10T10:30:00Z',
      'myFirehoseFailures/processing-failed/2018/anyMonth/10',
    ],
    [
      'myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
      'Prefix',
      '2018-07-06T23:00:00Z',
      'myPrefix/year=2018/month=07/day=06/hour=23/',
    ],
    [
      "myErrorPrefix/!{timestamp:'year='yyyy'/month='MM'/day='dd'/hour='HH}/!{firehose:error-output-type}",
      'ErrorOutputPrefix',
      '2018-07-06T23:00:00Z',
      'myErrorPrefix/year=2018/month=07/day=06/hour=23/processing-failed',
    ],
    [
      'myPrefix/result=!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}',
      'ErrorOutputPrefix',
      '2018-08-03T10:30:00Z',
      'myPrefix/result=processing-failed/2018/08/03',
    ],
  ])('evaluates the documented example %s (%s)', (prefix, field, at, expected) => {
    // Act
    const key = expandFirehosePrefix(prefix, new Date(at), { field, randomString: '5abf82daaa5' });
    // Assess
    expect(firehosePrefixProblems(prefix, field)).toEqual([]);
    expect(key).toBe(expected);
  });

  it('appends the default yyyy/MM/dd/HH/ to a Prefix without a timestamp expression', () => {
    // The guide's own row for `myFirehosePrefix` shows `myFirehosePrefix/2018/08/27/`,
    // which contradicts its rule (no slash is added, and HH/ is appended); the rule wins.
    expect(expandFirehosePrefix('direct/', new Date('2026-11-29T10:15:00Z'))).toBe(
      'direct/2026/11/29/10/',
    );
    expect(expandFirehosePrefix('myFirehosePrefix', new Date('2018-08-27T10:30:00Z'))).toBe(
      'myFirehosePrefix2018/08/27/10/',
    );
    expect(resolveFirehosePrefix('rand=!{firehose:random-string}/')).toBe(
      'rand=!{firehose:random-string}/!{timestamp:yyyy/MM/dd/HH/}',
    );
  });

  it('appends nothing to an ErrorOutputPrefix, as the documented example shows', () => {
    expect(
      expandFirehosePrefix('failures/!{firehose:error-output-type}/', time, {
        field: 'ErrorOutputPrefix',
      }),
    ).toBe('failures/processing-failed/');
  });

  it('expands the configured prefixes into Hive-style partitions', () => {
    // Act
    const { archive, directPut } = loadConfig();
    // Assess
    expect(expandFirehosePrefix(archive.prefix, time)).toBe(
      'events/year=2026/month=03/day=04/hour=05/',
    );
    expect(
      expandFirehosePrefix(directPut.errorOutputPrefix, time, { field: 'ErrorOutputPrefix' }),
    ).toBe('direct-errors/processing-failed/year=2026/month=03/day=04/');
  });

  it.each([
    // Quoted literals: '' is one quote, inside quotes or out.
    ["'dt='yyyy'-'MM'-'dd", 'dt=2026-03-04'],
    ["yyyy''MM", "2026'03"],
    ["'it''s'", "it's"],
    // Numbers, with Java's padding by letter count.
    ['y-yy-yyy-yyyyy-u-uuuu', '2026-26-2026-02026-2026-2026'],
    ['M-MM-d-dd-D-DD-DDD', '3-03-4-04-63-63-063'],
    ['H-HH-h-hh-K-k-m-mm-s-ss', '5-05-5-05-5-5-6-06-7-07'],
    ['S-SSS-SSSSSS-A-AAAAAAAA-n-nnnnnnnnn', '8-890-890000-18367890-18367890-890000000-890000000'],
    // Texts in the US locale.
    ['MMM-MMMM-MMMMM-LLL', 'Mar-March-M-Mar'],
    ['E-EEEE-EEEEE-a-G-GGGG', 'Wed-Wednesday-W-AM-AD-Anno Domini'],
    ['Q-QQ-QQQ-QQQQ', '1-01-Q1-1st quarter'],
    // US weeks: Sunday first, week 1 holds 1 January; e counts from Sunday.
    ['Y-w-W-e-c-F', '2026-10-1-4-4-4'],
    // The zone is UTC.
    ['VV-z-zzzz-O-X-xxx-Z-ZZZZZ', 'UTC-UTC-Coordinated Universal Time-GMT-Z-+00:00-+0000-Z'],
    // Optional sections print (an instant has every field); p pads with spaces.
    ['[yyyy]-ppH', '2026- 5'],
  ])('formats the Java pattern %s', (pattern, expected) => {
    expect(evaluateFirehosePrefix(`!{timestamp:${pattern}}`, time)).toBe(expected);
  });

  it('counts US weeks across the turn of a year', () => {
    // Thursday 1 January 2026: its week (from Sunday 28 December 2025) is week 1 of 2026.
    expect(evaluateFirehosePrefix('!{timestamp:Y-ww}', new Date('2025-12-28T00:00:00Z'))).toBe(
      '2026-01',
    );
    expect(evaluateFirehosePrefix('!{timestamp:Y-ww}', new Date('2025-12-27T00:00:00Z'))).toBe(
      '2025-52',
    );
  });

  it('evaluates every timestamp expression at the same instant and draws a new random string for each instance', () => {
    // Act
    const key = evaluateFirehosePrefix(
      '!{firehose:random-string}/!{firehose:random-string}/!{timestamp:ss}!{timestamp:SSS}',
      time,
    );
    // Assess
    const [first, second, stamp] = key.split('/');
    expect(first).toMatch(/^[0-9a-f]{11}$/);
    expect(second).toMatch(/^[0-9a-f]{11}$/);
    expect(first).not.toBe(second);
    expect(stamp).toBe('07890');
  });
});

describe('parseFirehosePrefix', () => {
  it.each([
    [
      'events/!{foo:bar}/',
      'unknown namespace "foo"',
      'where namespace can be one of the following',
    ],
    ['events/!{firehose:nope}/', '!{firehose:nope}', 'error-output-type and random-string'],
    ['events/!{timestamp:yyyy/', 'is not a !{namespace:value} expression', 'The sequence !{'],
    ['events/!{yyyy}/', 'is not a !{namespace:value} expression', 'The sequence !{'],
    ['!{timestamp:bb}', 'unknown pattern letter: b', 'valid Java DateTimeFormatter strings'],
    ['!{timestamp:yyyy#}', 'reserved', 'valid Java DateTimeFormatter strings'],
    ["!{timestamp:'year=yyyy}", 'ends inside a quoted literal', 'Java DateTimeFormatter'],
    ['!{timestamp:HHH}', 'too many pattern letters: HHH', 'Java DateTimeFormatter'],
    ['!{timestamp:nn}', 'cannot hold every value', 'Java DateTimeFormatter'],
    ['!{partitionKeyFromQuery:id}', 'needs dynamic partitioning', 'partitionKeyFromQuery'],
  ])('refuses %s, quoting the rule', (prefix, problem, rule) => {
    expect(() => parseFirehosePrefix(prefix)).toThrow(problem);
    expect(() => parseFirehosePrefix(prefix)).toThrow(rule);
  });
});

describe('firehosePrefixProblems', () => {
  it.each<[string, FirehosePrefixField, string]>([
    ['events/!{firehose:error-output-type}/', 'Prefix', "Prefix can't contain"],
    ['errors/!{timestamp:yyyy}/', 'ErrorOutputPrefix', 'must include at least one instance'],
    [`${'a'.repeat(500)}/`, 'Prefix', 'greater than 512 characters'],
    [
      `${'a'.repeat(490)}/!{firehose:error-output-type}/`,
      'ErrorOutputPrefix',
      'evaluates to up to 516 characters',
    ],
    ['e/!{timestamp:EEEE}/'.repeat(50), 'Prefix', 'greater than 512 characters'],
  ])('refuses %s as %s', (prefix, field, rule) => {
    expect(firehosePrefixProblems(prefix, field).join('\n')).toContain(rule);
  });

  it('accepts a static ErrorOutputPrefix and a 512-character Prefix', () => {
    expect(firehosePrefixProblems('errors/', 'ErrorOutputPrefix')).toEqual([]);
    // 498 characters + the default yyyy/MM/dd/HH/, 14 once evaluated = 512.
    expect(firehosePrefixProblems(`${'a'.repeat(497)}/`, 'Prefix')).toEqual([]);
  });
});

describe('validateConfig on Firehose prefixes', () => {
  function problemsOf(overrides: Parameters<typeof loadConfig>[0]): readonly string[] {
    try {
      loadConfig(overrides);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  }

  it('accepts the shipped default prefixes', () => {
    expect(problemsOf({})).toEqual([]);
  });

  it.each([
    [
      { archive: { prefix: 'events/!{firehose:error-output-type}/' } },
      'archive.prefix',
      "Prefix can't contain",
    ],
    [
      { directPut: { errorOutputPrefix: 'direct-errors/!{timestamp:yyyy}/' } },
      'directPut.errorOutputPrefix',
      'must include at least one instance of !{firehose:error-output-type}',
    ],
    [{ directPut: { prefix: `direct/${'a'.repeat(600)}/` } }, 'directPut.prefix', '512 characters'],
    [{ archive: { prefix: 'events/!{foo:bar}/' } }, 'archive.prefix', 'unknown namespace "foo"'],
    [
      { archive: { prefix: 'events/y=!{timestamp:yyyy-bb}/' } },
      'archive.prefix',
      'unknown pattern letter: b',
    ],
  ])('refuses %j naming the setting, the value and the rule', (overrides, path, rule) => {
    const problem = problemsOf(overrides).find((p) => p.startsWith(`${path}:`));
    expect(problem).toContain(rule);
    expect(problem).toContain('(given "');
  });
});

describe('archiveListPrefixes with Firehose prefix rules', () => {
  it('lists the default yyyy/MM/dd/HH/ folders of a prefix without a timestamp expression', () => {
    expect(
      archiveListPrefixes(
        'direct/',
        new Date('2026-11-29T09:30:00Z'),
        new Date('2026-11-29T11:00:00Z'),
      ),
    ).toEqual(['direct/2026/11/29/09/', 'direct/2026/11/29/10/']);
  });

  it('lists whole days, not the root, when one expression holds year to hour', () => {
    expect(
      archiveListPrefixes(
        "raw/!{timestamp:'y='yyyy'/m='MM'/d='dd'/h='HH}/",
        new Date('2026-11-28T00:00:00Z'),
        new Date('2026-11-30T00:00:00Z'),
      ),
    ).toHaveLength(48);
  });
});
