import type { ArchiveQueryResult, ArchiveValue } from './openArchiveDatabase.js';

/** Output formats of the archive command. */
export const ARCHIVE_FORMATS = ['table', 'csv', 'json'] as const;

/** One output format. */
export type ArchiveFormat = (typeof ARCHIVE_FORMATS)[number];

/**
 * Renders a result:
 * - `table`: aligned columns under a header, numeric columns right-aligned, every
 *   number in full (no rounding), nulls as `-`;
 * - `csv`: RFC 4180, a header line, fields quoted when they hold `,`, `"` or a
 *   line break, nulls as empty fields;
 * - `json`: an array of one object per row, keyed by column name.
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
      return [result.columns, ...result.rows.map((row) => row.map(csvText))]
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

function csvText(value: ArchiveValue): string {
  return value === null ? '' : text(value);
}

function csvField(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}

function alignedTable({ columns, rows }: ArchiveQueryResult): string {
  const cells = rows.map((row) =>
    columns.map((_, i) => {
      const value = row[i] ?? null;
      return value === null ? '-' : typeof value === 'number' ? String(value) : text(value);
    }),
  );
  const numeric = columns.map((_, i) =>
    rows.every((row) => row[i] === null || typeof row[i] === 'number'),
  );
  const widths = columns.map((name, i) =>
    Math.max(name.length, ...cells.map((row) => (row[i] as string).length)),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
