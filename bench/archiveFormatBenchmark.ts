import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { encodeEventLine } from '../core/codec/ndjsonCodec.js';
import type { EventCatalog } from '../core/events/catalog.js';
import { seededRandom } from '../core/util/seededRandom.js';
import { sampleEventGenerator } from '../examples/web-shop/sampleEvents.js';
import { archiveTableColumns } from '../infra/archiveTableColumns.js';
import { ParquetEncoder } from '../local/archiver/ParquetEncoder.js';
import { parquetRowsOf } from '../local/archiver/parquetRowsOf.js';
import { openArchiveDatabase } from '../ops/archive/openArchiveDatabase.js';
import { athenaQueryCost } from './athenaQueryCost.js';

const gzipAsync = promisify(gzip);

/** The one column the query reads: `SELECT type, count(*) FROM events GROUP BY type`. */
export const ONE_COLUMN_QUERY_COLUMN = 'type';

/** Options of {@link runArchiveFormatBenchmark}. */
export interface ArchiveFormatBenchmarkOptions {
  /** Event types and payload schemas: the Glue table's columns. */
  catalog: EventCatalog;
  /** `archive.prefix`: the partition columns of the local view. */
  prefix: string;
  /** Events in the hour. */
  events: number;
  /** Seed of the event mix. @default 1 */
  seed?: number;
}

/** One format's figures over the same hour of events. */
export interface ArchiveFormatFigures {
  /** Object size, bytes. */
  storedBytes: number;
  /** Bytes a query of {@link ONE_COLUMN_QUERY_COLUMN} reads. */
  scannedBytes: number;
  /** What Athena bills for that query, USD. */
  athenaUsdPerQuery: number;
}

/** What {@link runArchiveFormatBenchmark} measured. */
export interface ArchiveFormatBenchmarkResult {
  events: number;
  /** Uncompressed NDJSON, bytes. */
  ndjsonBytes: number;
  ndjsonGzip: ArchiveFormatFigures;
  parquet: ArchiveFormatFigures & { rowGroups: number; columnChunkBytes: number };
  /** The query's answer over each format, as `type=count` pairs: they must be equal. */
  answers: { ndjsonGzip: string; parquet: string };
}

/**
 * One hour of web-shop sample events (no padding) stored both ways the archive
 * can store them, and what a one-column query reads from each:
 *
 * - gzip NDJSON (zlib level 6), one object: a JSON object has no column index,
 *   so Athena reads the whole object whatever the query names;
 * - Parquet with the Glue table's columns and types, as the local archiver
 *   writes it (`parquetRowsOf`, `ParquetEncoder`: Snappy pages, DuckDB's writer;
 *   Firehose's own writer may lay out row groups differently): Athena reads the
 *   footer and the chunks of the columns named, so the scan is the `type` column
 *   chunks (from `parquet_metadata`) plus every byte outside the column chunks.
 *
 * The query runs over both files (the gzip one through `openArchiveDatabase`,
 * the view `npm run archive` queries) and its answers are returned for comparison.
 */
export async function runArchiveFormatBenchmark(
  options: ArchiveFormatBenchmarkOptions,
): Promise<ArchiveFormatBenchmarkResult> {
  const hourStart = Date.UTC(2026, 10, 22, 10);
  const stepMs = 3_600_000 / options.events;
  let index = 0;
  const next = sampleEventGenerator({
    source: 'bench',
    random: seededRandom(options.seed ?? 1),
    now: () => hourStart + Math.floor(index++ * stepMs),
  });
  const lines = Array.from({ length: options.events }, () => encodeEventLine(next()));
  const ndjson = Buffer.concat(lines);
  const dir = await mkdtemp(join(tmpdir(), 'streamfold-archive-format-'));
  try {
    const folder = join(dir, 'events', 'year=2026', 'month=11', 'day=22', 'hour=10');
    await mkdir(folder, { recursive: true });
    const gzipFile = join(folder, 'bench-1-2026-11-22-10-00-00-hour.gz');
    const parquetFile = join(dir, 'bench-1-2026-11-22-10-00-00-hour.parquet');
    await writeFile(gzipFile, await gzipAsync(ndjson));
    // The Parquet object the local archiver writes for these records (one record per event).
    const columns = archiveTableColumns(options.catalog);
    const rows = lines.flatMap((line) => {
      const outcome = parquetRowsOf(line, columns);
      if (!outcome.ok) throw new Error(`bench event not convertible: ${outcome.errorMessage}`);
      return outcome.rows;
    });
    const encoder = new ParquetEncoder(columns);
    try {
      await writeFile(parquetFile, await encoder.encode(rows));
    } finally {
      encoder.close();
    }
    const query = `SELECT ${ONE_COLUMN_QUERY_COLUMN}, count(*) AS n FROM events WHERE id IS NOT NULL GROUP BY 1 ORDER BY 1`;
    const db = await openArchiveDatabase({
      files: [gzipFile],
      catalog: options.catalog,
      prefix: options.prefix,
    });
    let answers: ArchiveFormatBenchmarkResult['answers'];
    let chunkRows: unknown[][];
    try {
      const fromJson = await db.query(query);
      const fromParquet = await db.query(
        `WITH events AS (SELECT * FROM read_parquet('${parquetFile}')) ${query}`,
      );
      chunkRows = (
        await db.query(
          `SELECT path_in_schema, row_group_id, total_compressed_size FROM parquet_metadata('${parquetFile}')`,
        )
      ).rows;
      const text = (rows: unknown[][]) => rows.map(([key, n]) => `${key}=${n}`).join(',');
      answers = { ndjsonGzip: text(fromJson.rows), parquet: text(fromParquet.rows) };
    } finally {
      db.close();
    }
    const gzipBytes = (await stat(gzipFile)).size;
    const parquetBytes = (await stat(parquetFile)).size;
    let allChunks = 0;
    let columnChunks = 0;
    const rowGroups = new Set<unknown>();
    for (const [path, rowGroup, size] of chunkRows) {
      allChunks += Number(size);
      rowGroups.add(rowGroup);
      if (path === ONE_COLUMN_QUERY_COLUMN) columnChunks += Number(size);
    }
    // The rest of the file: the footer (schema, row group and column metadata) and the magic bytes.
    const footerBytes = parquetBytes - allChunks;
    const parquetScanned = columnChunks + footerBytes;
    return {
      events: options.events,
      ndjsonBytes: ndjson.length,
      ndjsonGzip: {
        storedBytes: gzipBytes,
        scannedBytes: gzipBytes,
        athenaUsdPerQuery: athenaQueryCost(gzipBytes),
      },
      parquet: {
        storedBytes: parquetBytes,
        scannedBytes: parquetScanned,
        athenaUsdPerQuery: athenaQueryCost(parquetScanned),
        rowGroups: rowGroups.size,
        columnChunkBytes: columnChunks,
      },
      answers,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
