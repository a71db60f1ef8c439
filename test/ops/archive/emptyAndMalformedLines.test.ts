import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandFirehosePrefix } from '../../../core/codec/firehosePrefix.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import { namedArchiveQueries } from '../../../ops/archive/namedArchiveQueries.js';
import {
  type ArchiveDatabase,
  openArchiveDatabase,
} from '../../../ops/archive/openArchiveDatabase.js';
import { sampleEvent } from '../../helpers/events.js';

const config = loadConfig();
const saved = namedArchiveQueries(config, 'dev');
const events: StreamfoldEvent[] = [
  sampleEvent('purchase', { data: { amount: 10, country: 'DE' } }),
  sampleEvent('purchase', { data: { amount: 20, country: 'FR' } }),
  sampleEvent('page_view'),
];
/**
 * An object as the archive writes it now: a newline appended to each record,
 * so an empty line after each that already ended in one, and a producer's
 * malformed line (refused by the handler, kept by the archive).
 */
const OBJECT_TEXT = [
  ...events.map((event) => `${JSON.stringify(event)}\n\n`),
  '{"id": not json\n\n',
].join('');

let dir: string;
let db: ArchiveDatabase;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archive-lines-'));
  // Today's partition, which the saved queries read.
  const folder = join(dir, expandFirehosePrefix(config.archive.prefix, new Date()));
  await mkdir(folder, { recursive: true });
  const file = join(folder, 'streamfold-events-archive-1-object.gz');
  await writeFile(file, gzipSync(Buffer.from(OBJECT_TEXT)));
  db = await openArchiveDatabase({
    files: [file],
    catalog: webShopCatalog,
    prefix: config.archive.prefix,
    aliases: [{ database: saved.database, table: saved.table }],
  });
});

afterAll(async () => {
  db?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('empty and malformed archive lines', () => {
  it('reads an empty line as no row at all, and a malformed line as one row of nulls', async () => {
    // Act
    const { rows } = await db.query(
      'SELECT count(*) AS rows, count(*) FILTER (WHERE id IS NULL) AS nulls FROM raw_events',
    );

    // Assess
    expect(rows).toEqual([[events.length + 1, 1]]);
  });

  it('gives no row of nulls in the saved distinct-events query, as Athena runs it', async () => {
    // Prepare
    const query = saved.queries.find((q) => q.id === 'distinct-events');

    // Act
    const { columns, rows } = await db.query(query?.queryString as string);

    // Assess
    const ids = rows.map((row) => row[columns.indexOf('id')]);
    expect(ids.sort()).toEqual(events.map((event) => event.id).sort());
  });
});
