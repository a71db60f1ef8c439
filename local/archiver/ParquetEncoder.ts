import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { CfnTable } from 'aws-cdk-lib/aws-glue';
import { duckdbTypeOf } from '../../ops/archive/duckdbTypeOf.js';

/**
 * Writes table rows as one Parquet file, as Firehose's ParquetSerDe does for
 * the stack: the Glue table's columns and types (`archiveTableColumns`),
 * Snappy-compressed pages. DuckDB writes it from the rows as NDJSON in a
 * temporary folder; one in-memory database serves every file.
 *
 * @example
 * const encoder = new ParquetEncoder(archiveTableColumns(catalog));
 * const body = await encoder.encode([{ id: 'a', type: 'purchase', time: '…', source: 's', data: {…} }]);
 * encoder.close();
 */
export class ParquetEncoder {
  readonly #columns: readonly CfnTable.ColumnProperty[];
  #connection: Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> | undefined;

  public constructor(columns: readonly CfnTable.ColumnProperty[]) {
    this.#columns = columns;
  }

  /** The Parquet file holding `rows`, in order. */
  public async encode(rows: readonly Record<string, unknown>[]): Promise<Buffer> {
    const { connection } = await this.#connect();
    const dir = await mkdtemp(join(tmpdir(), 'streamfold-parquet-'));
    try {
      const input = join(dir, 'rows.ndjson');
      const output = join(dir, 'rows.parquet');
      await writeFile(input, rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
      const columns = this.#columns
        .map((column) => `${literal(column.name)}: ${literal(duckdbTypeOf(column.type as string))}`)
        .join(', ');
      await connection.run(
        `COPY (SELECT * FROM read_json(${literal(input)}, format = 'newline_delimited', columns = {${columns}})) TO ${literal(output)} (FORMAT parquet, COMPRESSION snappy)`,
      );
      return await readFile(output);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Closes the database. */
  public close(): void {
    const pending = this.#connection;
    this.#connection = undefined;
    void pending?.then(({ instance, connection }) => {
      connection.closeSync();
      instance.closeSync();
    });
  }

  #connect(): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
    this.#connection ??= DuckDBInstance.create(':memory:').then(async (instance) => ({
      instance,
      connection: await instance.connect(),
    }));
    return this.#connection;
  }
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
