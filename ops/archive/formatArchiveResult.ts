import { escapeForTerminal } from '../../core/text/escapeForTerminal.js';
import type { ArchiveQueryResult, ArchiveValue } from './openArchiveDatabase.js';

/** Output formats of the archive command. */
export const ARCHIVE_FORMATS = ['table', 'csv', 'json'] as const;

/** One output format. */
export type ArchiveFormat = (typeof ARCHIVE_FORMATS)[number];

/**
 * Renders a result:
 * - `table`: aligned columns under a header, numeric columns right-aligned, every
 *   number in full (no rounding), nulls as `-`; control characters in names and
 *   values shown escaped (see {@link escapeForTerminal}), so archived data cannot
 *   act on the terminal;
 * - `csv`: RFC 4180, a header line, fields quoted when they hold `,`, `"` or a
 *   line break, nulls as empty fields; a text field a spreadsheet would run as a
 *   formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) gets a
 *   leading `'`, as OWASP advises against CSV injection; numbers stay as they are;
 * - `json`: an array of one object per row, keyed by column name, exact.
 * Structs and lists are written as JSON text in `table` and `csv`.
 */
export function formatArchiveResult(result: ArchiveQueryResult, format: ArchiveFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(
        result.rows.map((row) =>
          Object.fromEntries(result.columns.map((name, index) => [name, row[index] ?? null])),
        ),
        null,
        2,
      );
    case 'csv':
      return [result.columns.map(csvText), ...result.rows.map((row) => row.map(csvText))]
        .map((fields) => fields.map(csvField).join(','))
        .join('\n');
    case 'table': {
      const count = `(${result.rows.length} ${result.rows.length === 1 ? 'row' : 'rows'})`;
      return `${alignedTable(result)}\n${count}`;
    }
  }
}

function text(value: ArchiveValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection). */
const FORMULA_STARTS = new Set(['=', '+', '-', '@', '\t', '\r']);

/** A number written out (DuckDB sends integers beyond 2^53 as text): read as a number, never run. */
const NUMBER_TEXT = /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * A value as CSV text: empty for null, a number as written, other text with a
 * `'` put before a formula start, which the spreadsheet shows as text instead
 * of running it (`=HYPERLINK(…)`, `@SUM(…)`, `-2+3`). A negative number is a
 * number, not a formula, and stays exact.
 */
function csvText(value: ArchiveValue): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const written = text(value);
  return FORMULA_STARTS.has(written.charAt(0)) && !NUMBER_TEXT.test(written)
    ? `'${written}`
    : written;
}

function csvField(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}

function alignedTable({ columns, rows }: ArchiveQueryResult): string {
  const cells = rows.map((row) =>
    columns.map((_, i) => {
      const value = row[i] ?? null;
      return value === null
        ? '-'
        : typeof value === 'number'
          ? String(value)
          : escapeForTerminal(text(value));
    }),
  );
  const header = columns.map((name) => escapeForTerminal(name));
  const numeric = columns.map((_, i) =>
    rows.every((row) => row[i] === null || typeof row[i] === 'number'),
  );
  const widths = header.map((name, i) =>
    Math.max(name.length, ...cells.map((row) => (row[i] as string).length)),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
