import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import { archivePartitioning } from '../../../infra/archivePartitioning.js';
import { archiveTableColumns } from '../../../infra/archiveTableColumns.js';
import { S3DeliveryBuffer } from '../../../local/archiver/S3DeliveryBuffer.js';
import type { RunningEmulators } from '../../../local/emulators/startEmulators.js';
import { ArchiveCache } from '../../../ops/archive/ArchiveCache.js';
import { parseArchiveArgs } from '../../../ops/archive/parseArchiveArgs.js';
import { runArchiveCommand } from '../../../ops/archive/runArchiveCommand.js';
import { sampleEvent } from '../../helpers/events.js';
import { startTestEmulators } from '../../helpers/testEmulators.js';

const config = loadConfig();
const BUCKET = 'archive-query-test';
/** Arrival times of the objects: two objects in each of four hours. */
const ARRIVALS = [
  '2026-11-22T08:20:00Z',
  '2026-11-22T09:10:00Z',
  '2026-11-22T10:40:00Z',
  '2026-11-22T11:05:00Z',
];
const IN_RANGE = { since: '2026-11-22T09:30:00Z', until: '2026-11-22T11:00:00Z' };

interface WrittenObject {
  key: string;
  hour: number;
  events: StreamfoldEvent[];
}

let emulators: RunningEmulators;
let s3: S3Client;
let cacheDir: string;
const written: WrittenObject[] = [];
/** Every S3 request the code under test sends, by command name. */
const calls: { command: string; input: { Key?: string; Prefix?: string } }[] = [];
const countingS3 = {
  send: (command: { constructor: { name: string }; input: object }) => {
    calls.push({ command: command.constructor.name, input: command.input });
    return s3.send(command as never);
  },
} as unknown as Pick<S3Client, 'send'>;
/** An event archived twice, in hour 09 and hour 10, as a producer retry would. */
const duplicated = sampleEvent('purchase', { data: { amount: 5, country: 'FR' } });

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runArchiveCommand(parseArchiveArgs([...argv, '--cache-dir', cacheDir]), {
    config,
    connect: async () => ({
      description: 'test s3rver',
      s3: countingS3,
      bucket: BUCKET,
      close: () => undefined,
    }),
    out: { write: (text: string) => (out += text) },
    err: { write: (text: string) => (err += text) },
  });
  return { code, out, err };
}

function getObjectKeys(): string[] {
  return calls.filter((c) => c.command === 'GetObjectCommand').map((c) => c.input.Key as string);
}

beforeAll(async () => {
  const started = await startTestEmulators({ s3: true });
  emulators = started.emulators;
  s3 = started.clients.s3;
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  cacheDir = await mkdtemp(join(tmpdir(), 'archive-cache-'));
  let serial = 0;
  for (const arrival of ARRIVALS) {
    for (let object = 0; object < 2; object++) {
      const events = Array.from({ length: 3 }, () =>
        sampleEvent('purchase', {
          data: { amount: ++serial, country: serial % 2 ? 'DE' : 'FR', orderId: `o-${serial}` },
        }),
      );
      const hour = new Date(arrival).getUTCHours();
      if (object === 0 && (hour === 9 || hour === 10)) events.push(duplicated);
      let key = '';
      const buffer = new S3DeliveryBuffer({
        s3,
        bucket: BUCKET,
        prefix: config.archive.prefix,
        deliveryStreamName: `${config.stream.name}-archive`,
        bufferingSizeBytes: 1 << 20,
        bufferingIntervalMs: 60_000,
        onDelivered: (delivery) => {
          key = delivery.key;
        },
      });
      const lines = events.map((event) => `${JSON.stringify(event)}\n`);
      // One malformed line in hour 10: read as a row of nulls, as the table's SerDe does.
      if (hour === 10 && object === 1) lines.push('{"id": not json\n');
      await buffer.add(Buffer.from(lines.join('')), new Date(arrival));
      await buffer.flush();
      written.push({ key, hour, events });
    }
  }
}, 30_000);

afterAll(async () => {
  s3?.destroy();
  await emulators?.stop();
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

describe('ArchiveCache', () => {
  it('lists only the hour prefixes of the range and downloads only the objects in it', async () => {
    // Prepare
    calls.length = 0;
    const cache = new ArchiveCache({
      s3: countingS3,
      bucket: BUCKET,
      prefix: config.archive.prefix,
      cacheDir: join(cacheDir, 'pruning'),
      listPageSize: 1,
    });

    // Act
    const result = await cache.fetch({
      since: new Date(IN_RANGE.since),
      until: new Date(IN_RANGE.until),
    });

    // Assess
    const wanted = written.filter((o) => o.hour === 9 || o.hour === 10).map((o) => o.key);
    expect(result.prefixes).toEqual([
      'events/year=2026/month=11/day=22/hour=09/',
      'events/year=2026/month=11/day=22/hour=10/',
    ]);
    expect(getObjectKeys().sort()).toEqual([...wanted].sort());
    const listed = calls.filter((c) => c.command === 'ListObjectsV2Command');
    expect(new Set(listed.map((c) => c.input.Prefix))).toEqual(new Set(result.prefixes));
    // One key per page: the listing had to follow continuation tokens.
    expect(listed.length).toBeGreaterThanOrEqual(wanted.length);
    expect(result.downloaded).toBe(4);
  });

  it('downloads each object once and reads it from the cache afterwards', async () => {
    // Prepare
    const cache = new ArchiveCache({
      s3: countingS3,
      bucket: BUCKET,
      prefix: config.archive.prefix,
      cacheDir: join(cacheDir, 'once'),
    });
    const range = { since: new Date(IN_RANGE.since), until: new Date(IN_RANGE.until) };
    await cache.fetch(range);
    calls.length = 0;

    // Act
    const again = await cache.fetch(range);

    // Assess
    expect(getObjectKeys()).toEqual([]);
    expect(again.cached).toBe(4);
    expect(again.downloaded).toBe(0);
  });
});

describe('npm run archive -- query', () => {
  it('gives events exactly the Glue table columns, data as a struct read case-insensitively', async () => {
    // Act
    const { code, out } = await run([
      'query',
      'DESCRIBE events',
      '--since',
      IN_RANGE.since,
      '--until',
      IN_RANGE.until,
      '--format',
      'json',
    ]);

    // Assess
    expect(code).toBe(0);
    const described = JSON.parse(out) as { column_name: string; column_type: string }[];
    const glue = archiveTableColumns(webShopCatalog).map((column) => column.name);
    const partitions = archivePartitioning(config.archive.prefix).keys.map((key) => key.name);
    expect(described.map((c) => c.column_name)).toEqual([...glue, ...partitions]);
    // The catalog's fields are flat: every Glue member `name:type` becomes `name TYPE`.
    const glueData = archiveTableColumns(webShopCatalog).find((c) => c.name === 'data')?.type;
    const members = [...(glueData ?? '').matchAll(/([a-z0-9_]+):(string|double|bigint)/g)].map(
      ([, name, type]) =>
        `${name} ${{ string: 'VARCHAR', double: 'DOUBLE', bigint: 'BIGINT' }[type as string]}`,
    );
    expect(members).toContain('orderid VARCHAR');
    expect(described.find((c) => c.column_name === 'data')?.column_type).toBe(
      `STRUCT(${members.join(', ')})`,
    );
    expect(
      described.filter((c) => partitions.includes(c.column_name)).map((c) => c.column_type),
    ).toEqual(partitions.map(() => 'INTEGER'));
  });

  it('reads only the objects of --since/--until, with their partitions and every field', async () => {
    // Prepare
    calls.length = 0;

    // Act
    const { code, out } = await run([
      'query',
      'SELECT id, data.orderid AS order_id, data.amount AS amount, year, month, day, hour FROM raw_events WHERE id IS NOT NULL ORDER BY hour, amount',
      '--since',
      IN_RANGE.since,
      '--until',
      IN_RANGE.until,
      '--format',
      'json',
    ]);

    // Assess
    expect(code).toBe(0);
    const expected = written
      .filter((o) => o.hour === 9 || o.hour === 10)
      .flatMap((o) =>
        o.events.map((event) => ({
          id: event.id,
          order_id: event.data.orderId,
          amount: event.data.amount,
          year: 2026,
          month: 11,
          day: 22,
          hour: o.hour,
        })),
      )
      .sort((a, b) => a.hour - b.hour || (a.amount as number) - (b.amount as number));
    expect(JSON.parse(out)).toEqual(expected);
    const listed = calls.filter((c) => c.command === 'ListObjectsV2Command');
    expect(listed.every((c) => /hour=(09|10)\/$/.test(c.input.Prefix ?? ''))).toBe(true);
  });

  it('reads a malformed line as a row of nulls in its partition', async () => {
    // Act
    const { code, out } = await run([
      'query',
      'SELECT hour, count(*) AS lines FROM raw_events WHERE id IS NULL GROUP BY 1',
      '--since',
      IN_RANGE.since,
      '--until',
      IN_RANGE.until,
      '--format',
      'json',
    ]);

    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual([{ hour: 10, lines: 1 }]);
  });

  it('keeps one row per id with --dedupe, and every archived copy without it', async () => {
    // Prepare
    const sql = 'SELECT count(*) AS n, count(DISTINCT id) AS ids FROM events WHERE id IS NOT NULL';
    const range = ['--since', IN_RANGE.since, '--until', IN_RANGE.until, '--format', 'json'];
    const lines = written
      .filter((o) => o.hour === 9 || o.hour === 10)
      .reduce((sum, o) => sum + o.events.length, 0);

    // Act
    const raw = await run(['query', sql, ...range]);
    const deduped = await run(['query', sql, ...range, '--dedupe']);
    const copies = await run([
      'query',
      `SELECT hour FROM events WHERE id = '${duplicated.id}'`,
      ...range,
      '--dedupe',
    ]);

    // Assess
    expect(JSON.parse(raw.out)).toEqual([{ n: lines, ids: lines - 1 }]);
    expect(JSON.parse(deduped.out)).toEqual([{ n: lines - 1, ids: lines - 1 }]);
    expect(JSON.parse(copies.out)).toHaveLength(1);
  });

  it('prints the same result as an aligned table, as CSV and as JSON', async () => {
    // Prepare
    const sql = `SELECT data.country AS country, sum(data.amount) AS revenue, 'a,"b"' AS label, NULL AS nothing FROM events WHERE type = 'purchase' GROUP BY 1 ORDER BY 1`;
    const range = ['--since', IN_RANGE.since, '--until', IN_RANGE.until, '--dedupe'];
    const events = [
      ...new Map(
        written
          .filter((o) => o.hour === 9 || o.hour === 10)
          .flatMap((o) => o.events)
          .map((event) => [event.id, event]),
      ).values(),
    ];
    const revenue = (country: string) =>
      events
        .filter((event) => event.data.country === country)
        .reduce((sum, event) => sum + (event.data.amount as number), 0);

    // Act
    const json = await run(['query', sql, ...range, '--format', 'json']);
    const csv = await run(['query', sql, ...range, '--format', 'csv']);
    const table = await run(['query', sql, ...range, '--format', 'table']);

    // Assess
    expect(JSON.parse(json.out)).toEqual(
      ['DE', 'FR'].map((country) => ({
        country,
        revenue: revenue(country),
        label: 'a,"b"',
        nothing: null,
      })),
    );
    expect(csv.out.trimEnd().split('\n')).toEqual([
      'country,revenue,label,nothing',
      `DE,${revenue('DE')},"a,""b""",`,
      `FR,${revenue('FR')},"a,""b""",`,
    ]);
    const rows = table.out.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^country\s+revenue\s+label\s+nothing$/);
    expect(rows[1]).toMatch(/^-+ {2}-+ {2}-+ {2}-+$/);
    expect(rows[2]?.split(/\s{2,}/)).toEqual(['DE', String(revenue('DE')), 'a,"b"', '-']);
    expect(rows.at(-1)).toBe('(2 rows)');
    // Columns line up: every row is as wide up to its last column as the header says.
    expect(rows[2]?.indexOf('a,"b"')).toBe(rows[0]?.indexOf('label'));
  });

  it('reports a SQL error as DuckDB message on one line and exits 1', async () => {
    // Act
    const { code, out, err } = await run([
      'query',
      'SELECT no_such_column FROM events',
      '--since',
      IN_RANGE.since,
      '--until',
      IN_RANGE.until,
    ]);

    // Assess
    expect(code).toBe(1);
    expect(out).toBe('');
    const lastLine = err.trimEnd().split('\n').at(-1) ?? '';
    expect(lastLine).toMatch(/^Binder Error: .*no_such_column/);
    expect(err).not.toMatch(/\n\s+at /);
  });
});
