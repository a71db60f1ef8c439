import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config/loadConfig.js';
import { seededRandom } from '../../../core/util/seededRandom.js';
import { sampleEventGenerator } from '../../../examples/web-shop/sampleEvents.js';
import { archiveTableColumns } from '../../../infra/archiveTableColumns.js';
import { S3DeliveryBuffer } from '../../../local/archiver/S3DeliveryBuffer.js';
import type { RunningEmulators } from '../../../local/emulators/startEmulators.js';
import { namedArchiveQueries } from '../../../ops/archive/namedArchiveQueries.js';
import { parseArchiveArgs } from '../../../ops/archive/parseArchiveArgs.js';
import { runArchiveCommand } from '../../../ops/archive/runArchiveCommand.js';
import { startTestEmulators } from '../../helpers/testEmulators.js';

const config = loadConfig();
const FORMATS = ['json', 'parquet'] as const;
type Format = (typeof FORMATS)[number];
const bucketOf = (format: Format) => `archive-format-${format}`;

let emulators: RunningEmulators;
let s3: S3Client;
let cacheDir: string;

async function run(format: Format, argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  let err = '';
  const code = await runArchiveCommand(
    parseArchiveArgs([...argv, '--cache-dir', join(cacheDir, format)]),
    {
      config,
      connect: async () => ({
        description: 'test s3rver',
        s3,
        bucket: bucketOf(format),
        close: () => undefined,
      }),
      out: { write: (text: string) => (out += text) },
      err: { write: (text: string) => (err += text) },
    },
  );
  if (code !== 0) throw new Error(`archive ${argv.join(' ')} over ${format}: ${err}`);
  return { code, out };
}

beforeAll(async () => {
  // Prepare: the same records, today (the saved queries read today's partitions), archived
  // once as gzip NDJSON and once converted to Parquet, in objects of 50 records.
  const started = await startTestEmulators({ s3: true });
  emulators = started.emulators;
  s3 = started.clients.s3;
  cacheDir = await mkdtemp(join(tmpdir(), 'archive-formats-'));
  const arrival = new Date();
  const startMs = arrival.getTime() - 30 * 60_000;
  let index = 0;
  const next = sampleEventGenerator({
    source: 'formats',
    random: seededRandom(18),
    now: () => startMs + index++ * 1_000,
  });
  const events = Array.from({ length: 600 }, () => next());
  // Producer retries: the same event archived twice.
  const records = [...events, ...events.slice(0, 25)].map((event) => `${JSON.stringify(event)}\n`);
  for (const format of FORMATS) {
    await s3.send(new CreateBucketCommand({ Bucket: bucketOf(format) }));
    const buffer = new S3DeliveryBuffer({
      s3,
      bucket: bucketOf(format),
      prefix: config.archive.prefix,
      deliveryStreamName: `${config.stream.name}-archive`,
      bufferingSizeBytes: 1 << 20,
      bufferingIntervalMs: 60_000,
      ...(format === 'parquet'
        ? {
            parquet: {
              columns: archiveTableColumns(config.catalog),
              errorOutputPrefix: config.archive.errorOutputPrefix,
              databaseName: 'streamfold_local',
              tableName: 'events',
            },
          }
        : {}),
    });
    for (let start = 0; start < records.length; start += 50) {
      await buffer.add(Buffer.from(records.slice(start, start + 50).join('')), arrival);
      await buffer.flush();
    }
    await buffer.stop();
  }
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await emulators?.stop();
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

describe('npm run archive over gzip NDJSON and over Parquet', () => {
  it('answers ad-hoc SQL over every column identically', async () => {
    // Act: a double sum rounded, as its last bits depend on the order DuckDB adds in
    const sql =
      'SELECT type, count(*) AS n, count(DISTINCT id) AS ids, round(sum(data.amount), 6) AS revenue, min("time") AS first, max(data.country) AS country, sum(data.quantity) AS quantity FROM events GROUP BY 1 ORDER BY 1';
    const [json, parquet] = await Promise.all(
      FORMATS.map((format) => run(format, ['query', sql, '--since', '2h', '--json'])),
    );

    // Assess
    expect(parquet?.out).toBe(json?.out);
    const rows = JSON.parse(json?.out ?? '[]') as { n: number }[];
    expect(rows.reduce((sum, row) => sum + row.n, 0)).toBe(625);
  });

  it('runs every saved Athena query unchanged, with the same answer', async () => {
    // Act & Assess: each query by id, over both formats
    const { queries } = namedArchiveQueries(config, 'dev');
    expect(queries.length).toBeGreaterThan(1);
    for (const query of queries) {
      const json = await run('json', ['query', '--named', query.id, '--json']);
      const parquet = await run('parquet', ['query', '--named', query.id, '--json']);
      expect(parquet.out, query.id).toBe(json.out);
      expect(JSON.parse(json.out), query.id).not.toEqual([]);
    }
  });

  it('deduplicates retried events identically', async () => {
    const sql = 'SELECT count(*) AS n FROM events';
    const json = await run('json', ['query', sql, '--since', '2h', '--dedupe', '--json']);
    const parquet = await run('parquet', ['query', sql, '--since', '2h', '--dedupe', '--json']);
    expect(parquet.out).toBe(json.out);
    expect(JSON.parse(json.out)).toEqual([{ n: 600 }]);
  });
});
