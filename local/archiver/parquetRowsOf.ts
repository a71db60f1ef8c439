import type { CfnTable } from 'aws-cdk-lib/aws-glue';
import { withoutByteOrderMark } from '../../core/text/withoutByteOrderMark.js';
import { ColumnTypeMismatchError, conformToHiveType } from './conformToHiveType.js';

/** The rows of one record, or why Firehose's conversion would refuse the record. */
export type ParquetRowsOutcome =
  | { ok: true; rows: Record<string, unknown>[] }
  | { ok: false; errorCode: string; errorMessage: string };

/**
 * The table rows of one record's data, as Firehose's record format conversion
 * makes them: every JSON document of the record (one per NDJSON line here;
 * empty lines hold none) is a row with the table's columns. The record fails
 * as a whole, as Firehose reports failures per record, when a line is not
 * JSON, not a JSON object, or holds a value that does not fit its column.
 * Unlike Firehose, two documents on one line without a newline between them
 * fail here. A byte order mark at the start of a line is ignored, as the
 * aggregate function ignores it (RFC 8259 §8.1), so the archive holds every
 * event the aggregates counted.
 */
export function parquetRowsOf(
  data: Buffer,
  columns: readonly CfnTable.ColumnProperty[],
): ParquetRowsOutcome {
  const rows: Record<string, unknown>[] = [];
  const lines = data.toString('utf8').split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let document: unknown;
    try {
      document = JSON.parse(withoutByteOrderMark(line));
    } catch (error) {
      return failure('Firehose.FormatConversion.JsonParseFailed', index, String(error));
    }
    if (typeof document !== 'object' || document === null || Array.isArray(document)) {
      return failure('Firehose.FormatConversion.NotAnObject', index, 'not a JSON object');
    }
    const byName = new Map(
      Object.entries(document).map(([key, value]) => [key.toLowerCase(), value] as const),
    );
    const row: Record<string, unknown> = {};
    try {
      for (const column of columns) {
        row[column.name] = conformToHiveType(
          byName.get(column.name),
          column.type as string,
          column.name,
        );
      }
    } catch (error) {
      if (!(error instanceof ColumnTypeMismatchError)) throw error;
      return failure('Firehose.FormatConversion.TypeMismatch', index, error.message);
    }
    rows.push(row);
  }
  return { ok: true, rows };
}

function failure(errorCode: string, line: number, detail: string): ParquetRowsOutcome {
  return { ok: false, errorCode, errorMessage: `line ${line + 1} of the record: ${detail}` };
}
