import { escapeForTerminal } from '../../core/text/escapeForTerminal.js';

/**
 * Formats rows as an aligned text table under a header: numbers right-aligned,
 * whole numbers as they are, others with two decimals (three significant
 * digits below 1), missing cells as `-`, control characters in text (group
 * values come from events) shown escaped by {@link escapeForTerminal}.
 *
 * @example
 * formatQueryTable(['bucket', 'count'], [['2026-11-22T10:15:00.000Z', 42]]);
 */
export function formatQueryTable(
  header: readonly string[],
  rows: readonly (readonly (string | number | undefined)[])[],
): string {
  const cells = rows.map((row) => header.map((_, i) => formatCell(row[i])));
  const numeric = header.map((_, i) => rows.every((row) => typeof row[i] !== 'string'));
  const names = header.map((name) => escapeForTerminal(name));
  const widths = names.map((name, i) =>
    Math.max(name.length, ...cells.map((row) => (row[i] ?? '').length)),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(names), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

function formatCell(value: string | number | undefined): string {
  if (value === undefined) return '-';
  if (typeof value === 'string') return escapeForTerminal(value);
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 1 ? value.toFixed(2) : value.toPrecision(3);
}
