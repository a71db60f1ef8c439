import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config/loadConfig.js';
import { archiveListPrefixes } from '../../../ops/archive/archiveListPrefixes.js';
import { ArchiveArgsError } from '../../../ops/archive/errors.js';
import { parseArchiveArgs } from '../../../ops/archive/parseArchiveArgs.js';

const PREFIX = loadConfig().archive.prefix;
const NOW = Date.parse('2026-11-22T10:17:00Z');

describe('archiveListPrefixes', () => {
  it('lists one prefix per arrival hour the range touches', () => {
    // Act
    const prefixes = archiveListPrefixes(
      PREFIX,
      new Date('2026-11-22T09:30:00Z'),
      new Date('2026-11-22T11:00:00Z'),
    );

    // Assess
    expect(prefixes).toEqual([
      'events/year=2026/month=11/day=22/hour=09/',
      'events/year=2026/month=11/day=22/hour=10/',
    ]);
  });

  it('lists a whole day, month or year with one shorter prefix', () => {
    // Act
    const prefixes = archiveListPrefixes(
      PREFIX,
      new Date('2026-10-31T23:00:00Z'),
      new Date('2026-12-02T01:30:00Z'),
    );

    // Assess
    expect(prefixes).toEqual([
      'events/year=2026/month=10/day=31/hour=23/',
      'events/year=2026/month=11/',
      'events/year=2026/month=12/day=01/',
      'events/year=2026/month=12/day=02/hour=00/',
      'events/year=2026/month=12/day=02/hour=01/',
    ]);
  });

  it('lists the static root without a start, and nothing for an empty range', () => {
    // Act, Assess
    expect(archiveListPrefixes(PREFIX)).toEqual(['events/']);
    expect(archiveListPrefixes(PREFIX, new Date(NOW), new Date(NOW))).toEqual([]);
  });
});

describe('parseArchiveArgs', () => {
  it('reads durations back from now and defaults --until to now', () => {
    // Act
    const args = parseArchiveArgs(['query', 'SELECT 1', '--since', '2h'], NOW);

    // Assess
    expect(args.sql).toBe('SELECT 1');
    expect(args.since?.toISOString()).toBe('2026-11-22T08:17:00.000Z');
    expect(args.until.toISOString()).toBe('2026-11-22T10:17:00.000Z');
    expect(args.format).toBe('table');
  });

  it('prints JSON with --json, and still reads --format json', () => {
    // Act, Assess
    expect(parseArchiveArgs(['query', 'SELECT 1', '--json'], NOW).format).toBe('json');
    expect(parseArchiveArgs(['query', 'SELECT 1', '--format', 'json'], NOW).format).toBe('json');
    expect(parseArchiveArgs(['query', 'SELECT 1', '--format', 'csv'], NOW).format).toBe('csv');
  });

  it('defaults --since to the start of today (UTC) for a saved query', () => {
    // Act
    const args = parseArchiveArgs(['query', '--named', 'revenue'], NOW);

    // Assess
    expect(args.since?.toISOString()).toBe('2026-11-22T00:00:00.000Z');
  });

  it.each([
    [['query'], /query needs one SQL statement/],
    [['select 1'], /first argument must be query or queries \(given "select 1"\)/],
    [
      ['query', 'SELECT 1', '--format', 'xml'],
      /--format must be table or csv, or --json for JSON \(given "xml"\)/,
    ],
    [
      ['query', 'SELECT 1', '--since', 'yesterday'],
      /--since must be a duration back from now.*ISO 8601 time.*\(given "yesterday"\)/,
    ],
    [['query', 'SELECT 1', '--since', '1h', '--until', '2h'], /--since must be before --until/],
    [['query', 'SELECT 1', '--target', 'aws'], /--bucket is required with --target aws/],
    [['query', 'SELECT 1', '--stage', 'qa'], /--stage must be one of dev, prod \(given "qa"\)/],
    [['query', 'SELECT 1', '--named', 'revenue'], /takes no SQL/],
    [
      ['query', 'SELECT 1', '--json', '--format', 'csv'],
      /--json and --format csv cannot be combined/,
    ],
    [['qurey', 'SELECT 1'], /\(given "qurey" \(did you mean query\?\)\)/],
    [['query', 'SELECT 1', '--dedup'], /^unknown option --dedup \(did you mean --dedupe\?\)$/],
  ])('refuses %j', (argv, message) => {
    // Act, Assess
    expect(() => parseArchiveArgs(argv, NOW)).toThrow(ArchiveArgsError);
    expect(() => parseArchiveArgs(argv, NOW)).toThrow(message);
  });
});

describe('streamfold archive', () => {
  it('exits 2 on a bad argument and 0 with --help', () => {
    // Prepare
    const bin = fileURLToPath(new URL('../../../bin/streamfold.js', import.meta.url));
    const run = (argv: string[]) =>
      spawnSync(process.execPath, [bin, 'archive', ...argv], { encoding: 'utf8' });

    // Act
    const bad = run(['query', 'SELECT 1', '--format', 'xml']);
    const help = run(['--help']);

    // Assess
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(
      'streamfold archive: --format must be table or csv, or --json for JSON (given "xml")\n' +
        'Run "streamfold archive --help" for the options.\n',
    );
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: streamfold archive query "SQL"/);
  });
});
