import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

/**
 * The events of a Parquet archive object as the NDJSON lines they were sent as,
 * so the handler's validation reads them as it reads gzip NDJSON: each row's
 * JSON (numbers as numbers), with field names given back their catalog spelling
 * (`orderid` → `orderId`, from `originalSpellings`) and null fields left out (the
 * table's `data` struct holds every event type's fields, null where a type has none).
 *
 * @param spellings - lower-case name → spelling in the envelope and the catalog
 */
export async function parquetEventLines(
  body: Uint8Array,
  spellings: ReadonlyMap<string, string>,
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'streamfold-reconcile-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const file = join(dir, 'object.parquet');
    await writeFile(file, body);
    const reader = await connection.runAndReadAll(
      `SELECT to_json(row) FROM read_parquet('${file.replaceAll("'", "''")}') AS row`,
    );
    return reader
      .getRowsJson()
      .map(([json]) => `${JSON.stringify(respell(JSON.parse(String(json)), spellings))}\n`)
      .join('');
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}

function respell(value: unknown, spellings: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((element) => respell(element, spellings));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, member]) => member !== null)
    .map(([key, member]) => [spellings.get(key) ?? key, respell(member, spellings)] as const);
  return Object.fromEntries(entries);
}
