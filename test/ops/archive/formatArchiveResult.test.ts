import { describe, expect, it } from 'vitest';
import { formatArchiveResult } from '../../../ops/archive/formatArchiveResult.js';
import type { ArchiveQueryResult } from '../../../ops/archive/openArchiveDatabase.js';
import { terminalControlsIn } from '../../helpers/terminalControls.js';

/** Values from events that act on a terminal or on a spreadsheet. */
const HOSTILE = [
  '\u001b]0;pwned\u0007\u001b[2K',
  'tab\there',
  'two\nlines',
  'carriage\rreturn',
  'c1\u009b2J',
  'rtl\u202Eexe.txt',
  'isolate\u2066x\u2069',
  'separator\u2028x',
  'lone\ud800',
];

function resultOf(column: string, values: readonly (string | number | null)[]): ArchiveQueryResult {
  return { columns: [column], types: [], rows: values.map((value) => [value]) };
}

describe('formatArchiveResult', () => {
  describe('table', () => {
    it('shows every control character of a value or a column name escaped, one line per row', () => {
      // Prepare
      const result = resultOf('source\u001b[31m', HOSTILE);

      // Act
      const table = formatArchiveResult(result, 'table');

      // Assess
      expect(terminalControlsIn(table)).toEqual([]);
      expect(table.split('\n')).toEqual([
        'source\\u001b[31m',
        '-'.repeat('\\u001b]0;pwned\\u0007\\u001b[2K'.length),
        '\\u001b]0;pwned\\u0007\\u001b[2K',
        'tab\\there',
        'two\\nlines',
        'carriage\\rreturn',
        'c1\\u009b2J',
        'rtl\\u202eexe.txt',
        'isolate\\u2066x\\u2069',
        'separator\\u2028x',
        'lone\\ud800',
        `(${HOSTILE.length} rows)`,
      ]);
    });

    it('escapes text inside structs, which it writes as JSON', () => {
      // Prepare: JSON.stringify escapes C0 controls itself, but not C1 or bidirectional ones
      const result: ArchiveQueryResult = {
        columns: ['data'],
        types: [],
        rows: [[{ path: '\u001b[2K\u202E\u0085' }]],
      };

      // Act
      const table = formatArchiveResult(result, 'table');

      // Assess
      expect(terminalControlsIn(table)).toEqual([]);
      expect(table).toContain('{"path":"\\u001b[2K\\u202e\\u0085"}');
    });
  });

  describe('csv', () => {
    it.each([
      ['=HYPERLINK("http://evil.example")', `"'=HYPERLINK(""http://evil.example"")"`],
      ['+1+cmd|calc', "'+1+cmd|calc"],
      ['-2+3', "'-2+3"],
      ['@SUM(A1:A2)', "'@SUM(A1:A2)"],
      ['\t=1', "'\t=1"],
      ['\r=1', `"'\r=1"`],
      ['a,b', '"a,b"'],
      ['say "hi"', '"say ""hi"""'],
      ['two\nlines', '"two\nlines"'],
      ['plain', 'plain'],
      ['x=1', 'x=1'],
    ])('writes the text %j as %s', (value, field) => {
      expect(formatArchiveResult(resultOf('v', [value]), 'csv')).toBe(`v\n${field}`);
    });

    it('leaves numbers alone, negative ones and integers DuckDB sends as text included', () => {
      // Prepare
      const result: ArchiveQueryResult = {
        columns: ['n', 'big', 'decimal'],
        types: [],
        rows: [[-5, '-92233720368547758080', '-1.5e3']],
      };

      // Act
      const csv = formatArchiveResult(result, 'csv');

      // Assess
      expect(csv).toBe('n,big,decimal\n-5,-92233720368547758080,-1.5e3');
    });

    it('neutralises a column name that starts a formula', () => {
      expect(formatArchiveResult(resultOf('=cmd', ['x']), 'csv')).toBe("'=cmd\nx");
    });
  });

  describe('json', () => {
    it('keeps every value exact', () => {
      // Prepare
      const result = resultOf('source', [...HOSTILE, '=HYPERLINK("x")']);

      // Act
      const json = formatArchiveResult(result, 'json');

      // Assess
      expect(JSON.parse(json)).toEqual(
        [...HOSTILE, '=HYPERLINK("x")'].map((source) => ({ source })),
      );
    });
  });
});
