import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { PARQUET_EXTENSION } from '../../core/codec/parquetExtension.js';
import type { EventCatalog } from '../../core/events/catalog.js';
import { archivePartitioning } from '../../infra/archivePartitioning.js';
import { archiveTableColumns } from '../../infra/archiveTableColumns.js';
import { duckdbTypeOf } from './duckdbTypeOf.js';
import { ArchiveSqlError } from './errors.js';
import { originalSpellings } from './originalSpellings.js';

/** Options of {@link openArchiveDatabase}. */
export interface ArchiveDatabaseOptions {
  /**
   * Local archive objects under `name=value` partition folders (from `ArchiveCache.fetch`):
   * gzip NDJSON, and Parquet for files ending in `.parquet`; both read as one table.
   */
  files: readonly string[];
  /** Event types and payload schemas; the columns come from them as the Glue table's do. */
  catalog: EventCatalog;
  /** Firehose prefix expression (`archive.prefix`); the partition columns come from it. */
  prefix: string;
  /**
   * Make `events` one row per `id` (the copy with the earliest `time`, then partition);
   * rows without an `id` (malformed lines) are all kept. `raw_events` keeps every line.
   *
   * @default false
   */
  dedupe?: boolean;
  /**
   * Further names of the raw table, such as the Glue `database.table` the stack's
   * named queries read, so their SQL runs unchanged.
   *
   * @default none
   */
  aliases?: readonly { database: string; table: string }[];
}

/** A JSON value of a result cell. */
export type ArchiveValue =
  | null
  | boolean
  | number
  | string
  | ArchiveValue[]
  | { [key: string]: ArchiveValue };

/** A query's result. */
export interface ArchiveQueryResult {
  columns: string[];
  /** DuckDB type of each column, for example `VARCHAR`, `BIGINT`, `TIMESTAMP WITH TIME ZONE`. */
  types: string[];
  rows: ArchiveValue[][];
}

/** SQL over the archive files. */
export interface ArchiveDatabase {
  /**
   * Runs SQL (several statements allowed; the last one's rows are returned).
   *
   * @throws {ArchiveSqlError} with DuckDB's message on one line
   */
  query(sql: string): Promise<ArchiveQueryResult>;
  close(): void;
}

/**
 * Functions the stack's Athena (Trino) queries call that DuckDB names
 * differently. Defined as macros, so the saved queries' SQL runs unchanged.
 * `approx_percentile` is computed exactly here (`quantile_disc`: the value of
 * rank ⌈q·n⌉), which Athena's approximation is within about 1 % of.
 */
const TRINO_MACROS = [
  'CREATE MACRO from_iso8601_timestamp(text) AS CAST(text AS TIMESTAMPTZ)',
  'CREATE MACRO approx_percentile(value, quantile) AS quantile_disc(value, quantile)',
];

const INTEGER_TYPES = new Set([
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'HUGEINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
  'UHUGEINT',
]);

/**
 * Opens an in-memory DuckDB database with a view `events` over archive files
 * that has exactly the Glue table's columns: `id`, `type`, `time`, `source`
 * and `data` (one struct of every catalog field, names lower-cased as Glue
 * has them) from `archiveTableColumns`, and the partition columns (`year`,
 * `month`, `day`, `hour`, integers) from `archivePartitioning`, read from the
 * files' folders with `hive_partitioning`. Malformed lines read as rows of
 * nulls, as the table's `ignore.malformed.json` SerDe setting makes Athena do.
 * Empty lines (and lines of blanks) are no rows at all: one follows every
 * record that already ended in a newline, since the archive appends a newline
 * to each record. Athena reads them as rows of nulls; queries that filter on
 * `id IS NOT NULL`, as the saved ones do, see the same rows in both. Times are
 * computed in UTC, as Athena does.
 *
 * @example
 * const db = await openArchiveDatabase({ files, catalog: eventCatalog, prefix: config.archive.prefix });
 * const { rows } = await db.query('SELECT type, count(*) FROM events GROUP BY 1');
 * db.close();
 */
export async function openArchiveDatabase(
  options: ArchiveDatabaseOptions,
): Promise<ArchiveDatabase> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const close = () => {
    connection.closeSync();
    instance.closeSync();
  };
  try {
    const statements = [
      "SET TimeZone = 'UTC'",
      ...TRINO_MACROS,
      `CREATE VIEW raw_events AS ${rawEventsSql(options)}`,
      options.dedupe
        ? 'CREATE VIEW events AS SELECT * FROM raw_events QUALIFY id IS NULL OR row_number() OVER (PARTITION BY id ORDER BY "time", year, month, day, hour) = 1'
        : 'CREATE VIEW events AS SELECT * FROM raw_events',
    ];
    for (const { database, table } of options.aliases ?? []) {
      statements.push(`CREATE SCHEMA IF NOT EXISTS ${quote(database)}`);
      statements.push(
        `CREATE VIEW ${quote(database)}.${quote(table)} AS SELECT * FROM main.raw_events`,
      );
    }
    for (const statement of statements) await run(connection, statement);
  } catch (error) {
    close();
    throw error;
  }
  return { query: (sql) => run(connection, sql), close };
}

/** The SELECT behind `raw_events`: the Glue columns, then the partition columns. */
function rawEventsSql({ files, catalog, prefix }: ArchiveDatabaseOptions): string {
  const spelling = originalSpellings(catalog);
  const fieldName = (name: string) => spelling.get(name) ?? name;
  const columns = archiveTableColumns(catalog).map((column) => ({
    name: column.name,
    type: duckdbTypeOf(column.type as string),
    readType: duckdbTypeOf(column.type as string, fieldName),
  }));
  const partitions = archivePartitioning(prefix).keys.map((key) => key.name);
  const select = [
    ...columns.map(({ name, type, readType }) =>
      type === readType
        ? quote(name)
        : `CAST(${quote(fieldName(name))} AS ${type}) AS ${quote(name)}`,
    ),
    ...partitions.map(quote),
  ].join(', ');
  if (files.length === 0) {
    // read_json refuses an empty list; an empty view keeps the columns and types.
    const empty = [
      ...columns.map(({ name, type }) => `CAST(NULL AS ${type}) AS ${quote(name)}`),
      ...partitions.map((name) => `CAST(NULL AS INTEGER) AS ${quote(name)}`),
    ];
    return `SELECT ${empty.join(', ')} WHERE false`;
  }
  const struct = (entries: [string, string][]) =>
    `{${entries.map(([key, value]) => `${literal(key)}: ${literal(value)}`).join(', ')}}`;
  const hiveTypes = struct(partitions.map((name) => [name, 'INTEGER']));
  const parquetFiles = files.filter((file) => file.endsWith(PARQUET_EXTENSION));
  const jsonFiles = files.filter((file) => !file.endsWith(PARQUET_EXTENSION));
  const parts: string[] = [];
  if (jsonFiles.length > 0) {
    parts.push(
      [
        `SELECT ${select} FROM read_json([${jsonFiles.map(literal).join(', ')}],`,
        "format = 'newline_delimited', compression = 'gzip', ignore_errors = true,",
        `hive_partitioning = true, hive_types = ${hiveTypes},`,
        `columns = ${struct(columns.map(({ name, readType }) => [fieldName(name), readType]))})`,
      ].join(' '),
    );
  }
  if (parquetFiles.length > 0) {
    // Parquet objects hold the Glue columns under Glue's (lower-case) names and types already.
    const parquetSelect = [
      ...columns.map(({ name, type }) => `CAST(${quote(name)} AS ${type}) AS ${quote(name)}`),
      ...partitions.map(quote),
    ].join(', ');
    parts.push(
      `SELECT ${parquetSelect} FROM read_parquet([${parquetFiles.map(literal).join(', ')}], hive_partitioning = true, hive_types = ${hiveTypes})`,
    );
  }
  return parts.join(' UNION ALL ');
}

async function run(connection: DuckDBConnection, sql: string): Promise<ArchiveQueryResult> {
  let reader: Awaited<ReturnType<DuckDBConnection['runAndReadAll']>>;
  try {
    reader = await connection.runAndReadAll(sql);
  } catch (error) {
    throw new ArchiveSqlError(oneLine(error), sql, error);
  }
  const types = reader.columnTypes().map(String);
  const rows = reader
    .getRowsJson()
    .map((row) =>
      row.map((value, index) => plainValue(value as ArchiveValue, types[index] as string)),
    );
  return { columns: reader.columnNames(), types, rows };
}

/**
 * DuckDB sends 64-bit integers and decimals as text in JSON; integers that fit a double
 * exactly, and decimals, become numbers.
 */
function plainValue(value: ArchiveValue, type: string): ArchiveValue {
  if (typeof value === 'string' && (INTEGER_TYPES.has(type) || type.startsWith('DECIMAL'))) {
    const number = Number(value);
    if (type.startsWith('DECIMAL') ? Number.isFinite(number) : Number.isSafeInteger(number)) {
      return number;
    }
  }
  return value;
}

/** DuckDB's message without the statement excerpt it appends after a blank line. */
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const [head = message] = message.split(/\n\s*\n/);
  return head.replace(/\s*\n\s*/g, ' ').trim();
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
