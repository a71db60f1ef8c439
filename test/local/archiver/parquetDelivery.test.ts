import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../core/config/loadConfig.js';
import { archiveTableColumns } from '../../../infra/archiveTableColumns.js';
import { ParquetEncoder } from '../../../local/archiver/ParquetEncoder.js';
import {
  FORMAT_CONVERSION_FAILED,
  type S3Delivery,
  S3DeliveryBuffer,
} from '../../../local/archiver/S3DeliveryBuffer.js';
import { type AwsClients, createAwsClients } from '../../../local/awsClients.js';
import { type RunningEmulators, startEmulators } from '../../../local/emulators/startEmulators.js';

/**
 * "Convert input data format in Amazon Data Firehose"
 * (https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html):
 * "When combining multiple JSON documents into the same record, make sure that your
 * input is still presented in the supported JSON format." ... "Otherwise, the
 * converted data will not contain attributes that are not specified in the schema."
 *
 * "Handling errors for data format conversion"
 * (https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion-error-handling.html):
 * "When Amazon Data Firehose can't parse or deserialize a record (for example, when
 * the data doesn't match the schema), it writes it to Amazon S3 with an error prefix."
 * Each failed record is a JSON document with "attemptsMade", "arrivalTimestamp",
 * "ErrorCode", "ErrorMessage", "attemptEndingTimestamp", "rawData", ... "dataCatalogTable".
 */
const config = loadConfig();
const columns = archiveTableColumns(config.catalog);

let emulators: RunningEmulators;
let clients: AwsClients;

beforeAll(async () => {
  emulators = await startEmulators({ host: '127.0.0.1', ports: { s3: 0 } });
  const s3 = `http://127.0.0.1:${emulators.ports.s3}`;
  clients = createAwsClients({ kinesis: s3, dynamodb: s3, s3 }, 'us-east-1');
});

afterAll(async () => {
  await emulators?.stop();
});

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * A buffer converting to Parquet into `bucket`, with what it delivered and reported; the
 * bucket is created unless `createBucket` is false (so the first write fails).
 */
async function parquetBuffer(bucket: string, { createBucket = true } = {}) {
  if (createBucket) await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const delivered: S3Delivery[] = [];
  const errors: unknown[] = [];
  const buffer = new S3DeliveryBuffer({
    s3: clients.s3,
    bucket,
    prefix: config.archive.prefix,
    deliveryStreamName: 'archive',
    bufferingSizeBytes: 1024 * 1024,
    bufferingIntervalMs: 60_000,
    parquet: {
      columns,
      errorOutputPrefix: config.archive.errorOutputPrefix,
      databaseName: 'streamfold_local',
      tableName: 'events',
    },
    onDelivered: (delivery) => delivered.push(delivery),
    onError: (error) => errors.push(error),
  });
  return { buffer, delivered, errors, bucket };
}

/** The error documents of every object under the error prefix. */
function errorDocumentsOf(objects: { key: string; body: Buffer }[]): Record<string, unknown>[] {
  return objects
    .filter((o) => o.key.startsWith('errors/'))
    .flatMap((o) => o.body.toString('utf8').trim().split('\n'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

let buckets = 0;

const goodPurchase = (id: string) =>
  `{"id":"${id}","type":"purchase","time":"2026-01-02T03:00:00.000Z","source":"s","data":{"orderId":"o","amount":1,"currency":"EUR","items":1,"country":"DE"}}\n`;

async function objectsOf(bucket: string): Promise<{ key: string; body: Buffer }[]> {
  const listed = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  const objects: { key: string; body: Buffer }[] = [];
  for (const { Key } of listed.Contents ?? []) {
    const got = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
    const bytes = await got.Body?.transformToByteArray();
    if (!bytes) throw new Error(`no body for ${Key}`);
    objects.push({ key: Key as string, body: Buffer.from(bytes) });
  }
  return objects;
}

async function parquetRows(body: Buffer): Promise<unknown[][]> {
  const dir = await mkdtemp(join(tmpdir(), 'parquet-delivery-test-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const file = join(dir, 'object.parquet');
    await writeFile(file, body);
    const reader = await connection.runAndReadAll(
      `SELECT id, type, time, source, data.amount, data.country, data.orderid, typeof(data.amount) FROM read_parquet('${file}') ORDER BY id`,
    );
    return reader.getRowsJson() as unknown[][];
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('S3DeliveryBuffer with Parquet conversion', () => {
  it('writes convertible records as one .parquet object with the table columns, and every other record under the error prefix as format-conversion-failed', async () => {
    // Prepare
    const { buffer, delivered, bucket } = await parquetBuffer('parquet-delivery');
    const purchase = {
      id: 'e1',
      type: 'purchase',
      time: '2026-01-02T03:04:05.000Z',
      source: 's',
      data: { orderId: 'o-1', amount: 12.5, country: 'DE', currency: 'EUR', notInCatalog: 'x' },
    };
    const pageView = {
      id: 'e2',
      type: 'page_view',
      time: '2026-01-02T03:04:06.000Z',
      source: 's',
      data: { path: '/', country: 'FR' },
    };
    const notJson = Buffer.from('{"id":"e3",\n');
    const wrongType = Buffer.from(
      `${JSON.stringify({ ...purchase, id: 'e4', data: { ...purchase.data, amount: 'twelve' } })}\n`,
    );

    // Act: one record of two NDJSON lines, then two records that cannot be converted
    await buffer.add(
      Buffer.from(`${JSON.stringify(purchase)}\n${JSON.stringify(pageView)}\n`),
      new Date('2026-01-02T03:04:07Z'),
    );
    await buffer.add(notJson, new Date('2026-01-02T03:04:08Z'));
    await buffer.add(wrongType, new Date('2026-01-02T03:04:09Z'));
    await buffer.stop();
    const objects = await objectsOf(bucket);

    // Assess: the data object, named as Firehose names converted objects
    const data = objects.filter((o) => o.key.startsWith('events/'));
    expect(data.map((o) => o.key)).toEqual([
      expect.stringMatching(
        /^events\/year=2026\/month=01\/day=02\/hour=03\/archive-1-2026-01-02-03-04-07-[0-9a-f-]{36}\.parquet$/,
      ),
    ]);
    expect(await parquetRows(data[0]?.body as Buffer)).toEqual([
      ['e1', 'purchase', '2026-01-02T03:04:05.000Z', 's', 12.5, 'DE', 'o-1', 'DOUBLE'],
      ['e2', 'page_view', '2026-01-02T03:04:06.000Z', 's', null, 'FR', null, 'DOUBLE'],
    ]);
    // Nothing dropped silently: the two records are under the error prefix, whole.
    const errors = objects.filter((o) => o.key.startsWith('errors/'));
    expect(errors.map((o) => o.key)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^errors/${FORMAT_CONVERSION_FAILED}/year=2026/month=01/day=02/archive-1-2026-01-02-03-04-07-[0-9a-f-]{36}$`,
        ),
      ),
    ]);
    const documents = (errors[0]?.body.toString('utf8') ?? '')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(documents).toEqual([
      expect.objectContaining({
        ErrorCode: 'Firehose.FormatConversion.JsonParseFailed',
        rawData: notJson.toString('base64'),
        arrivalTimestamp: Date.parse('2026-01-02T03:04:08Z'),
        dataCatalogTable: {
          databaseName: 'streamfold_local',
          tableName: 'events',
          versionId: 'LATEST',
        },
      }),
      expect.objectContaining({
        ErrorCode: 'Firehose.FormatConversion.TypeMismatch',
        ErrorMessage:
          'line 1 of the record: data.amount: value does not fit the column type ' +
          String(columns.find((c) => c.name === 'data')?.type),
        rawData: wrongType.toString('base64'),
      }),
    ]);
    expect(delivered).toEqual([
      expect.objectContaining({ records: 3, lines: 2, conversionFailures: 2 }),
    ]);
  });
  it('keeps every record of a failed write, converted or not, and writes them all on the next flush', async () => {
    // Prepare: the bucket does not exist yet, so the first flush fails
    const { buffer, delivered, errors, bucket } = await parquetBuffer('parquet-delivery-retry', {
      createBucket: false,
    });
    const arrival = new Date('2026-01-02T05:00:00Z');
    await buffer.add(Buffer.from('{"id":"r1","type":"page_view"}\n'), arrival);
    await buffer.add(Buffer.from('not json\n'), arrival);

    // Act
    await buffer.flush();
    const bufferedAfterFailure = buffer.bufferedRecords;
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await buffer.stop();
    const objects = await objectsOf(bucket);

    // Assess: nothing lost, nothing written twice
    expect(errors).toHaveLength(1);
    expect(bufferedAfterFailure).toBe(2);
    expect(objects.map((o) => o.key.split('/')[0])).toEqual(['errors', 'events']);
    expect(await parquetRows(objects[1]?.body as Buffer)).toEqual([
      ['r1', 'page_view', null, null, null, null, null, 'DOUBLE'],
    ]);
    expect(delivered).toEqual([
      expect.objectContaining({ records: 2, lines: 1, conversionFailures: 1 }),
    ]);
  });

  it.each([
    ['a bigint beyond 64 bits', '"data":{"path":"/","durationMs":1e19}', 'data.durationms'],
    [
      'a bigint of exactly 2^63',
      '"data":{"path":"/","durationMs":9223372036854775808}',
      'data.durationms',
    ],
    ['a double beyond its range (1e400 reads as Infinity)', '"data":{"price":1e400}', 'data.price'],
    ['an unpaired surrogate in a string column', '"data":{"orderId":"\\ud800"}', 'data.orderid'],
    ['an unpaired surrogate in a top-level column', '"source":"\\udc00"', 'source'],
  ])(
    'sends a record with %s under the error prefix and writes the records buffered with it',
    async (_, field, path) => {
      // Prepare: the value parses as JSON, but its column cannot hold it
      const { buffer, delivered, errors, bucket } = await parquetBuffer(
        `parquet-edge-${++buckets}`,
      );
      const poison = Buffer.from(
        `{"id":"x","type":"page_view","time":"2026-01-02T03:00:00.000Z",${field}}\n`,
      );

      // Act: the bad record first, then good ones, one flush
      await buffer.add(poison, new Date('2026-01-02T03:00:01Z'));
      for (const id of ['g1', 'g2', 'g3'])
        await buffer.add(Buffer.from(goodPurchase(id)), new Date('2026-01-02T03:00:02Z'));
      await buffer.stop();
      const objects = await objectsOf(bucket);

      // Assess: nothing blocked, nothing lost, each record in exactly one place
      expect(errors).toEqual([]);
      expect(buffer.bufferedRecords).toBe(0);
      const data = objects.filter((o) => o.key.startsWith('events/'));
      expect(data).toHaveLength(1);
      expect((await parquetRows(data[0]?.body as Buffer)).map((row) => row[0])).toEqual([
        'g1',
        'g2',
        'g3',
      ]);
      expect(errorDocumentsOf(objects)).toEqual([
        expect.objectContaining({
          ErrorCode: 'Firehose.FormatConversion.TypeMismatch',
          ErrorMessage: expect.stringContaining(
            `line 1 of the record: ${path}: value does not fit`,
          ),
          rawData: poison.toString('base64'),
        }),
      ]);
      expect(delivered).toEqual([
        expect.objectContaining({ records: 4, lines: 3, conversionFailures: 1 }),
      ]);
    },
  );

  it('converts a line that starts with a byte order mark, as the aggregate function reads it', async () => {
    // Prepare
    const { buffer, delivered, bucket } = await parquetBuffer('parquet-bom');

    // Act
    await buffer.add(Buffer.from(`\uFEFF${goodPurchase('bom')}`), new Date('2026-01-02T03:00:01Z'));
    await buffer.stop();
    const objects = await objectsOf(bucket);

    // Assess
    expect(errorDocumentsOf(objects)).toEqual([]);
    const data = objects.filter((o) => o.key.startsWith('events/'));
    expect((await parquetRows(data[0]?.body as Buffer)).map((row) => row[0])).toEqual(['bom']);
    expect(delivered).toEqual([
      expect.objectContaining({ records: 1, lines: 1, conversionFailures: 0 }),
    ]);
  });

  it('sends a record the Parquet writer refuses under the error prefix, not the records buffered with it', async () => {
    // Prepare: a fault no real record can cause any more (every value is checked against its
    // column first), injected into the writer: it refuses any file holding the row "w2".
    const encode = ParquetEncoder.prototype.encode;
    vi.spyOn(ParquetEncoder.prototype, 'encode').mockImplementation(function (
      this: ParquetEncoder,
      rows,
    ) {
      if (rows.some((row) => row.id === 'w2'))
        return Promise.reject(new Error('Conversion Error: injected'));
      return encode.call(this, rows);
    });
    const { buffer, delivered, errors, bucket } = await parquetBuffer('parquet-writer');
    const refused = Buffer.from(goodPurchase('w2'));

    // Act
    for (const id of ['w1', 'w2', 'w3']) {
      await buffer.add(
        id === 'w2' ? refused : Buffer.from(goodPurchase(id)),
        new Date('2026-01-02T03:00:01Z'),
      );
    }
    await buffer.stop();
    const objects = await objectsOf(bucket);

    // Assess
    expect(errors).toEqual([]);
    const data = objects.filter((o) => o.key.startsWith('events/'));
    expect((await parquetRows(data[0]?.body as Buffer)).map((row) => row[0])).toEqual(['w1', 'w3']);
    expect(errorDocumentsOf(objects)).toEqual([
      expect.objectContaining({
        ErrorCode: 'Firehose.FormatConversion.TypeMismatch',
        ErrorMessage: 'not writable as Parquet: Error: Conversion Error: injected',
        rawData: refused.toString('base64'),
      }),
    ]);
    expect(delivered).toEqual([
      expect.objectContaining({ records: 3, lines: 2, conversionFailures: 1 }),
    ]);
  });

  it('fails the flush and keeps every record when the writer cannot write even a row of nulls', async () => {
    // Prepare: a writer that is broken, not refusing a record
    const spy = vi
      .spyOn(ParquetEncoder.prototype, 'encode')
      .mockRejectedValue(new Error('IO Error: No space left on device'));
    const { buffer, delivered, errors, bucket } = await parquetBuffer('parquet-broken');
    for (const id of ['b1', 'b2'])
      await buffer.add(Buffer.from(goodPurchase(id)), new Date('2026-01-02T03:00:01Z'));

    // Act
    await buffer.flush();
    const keptAfterFailure = buffer.bufferedRecords;
    spy.mockRestore();
    await buffer.stop();
    const objects = await objectsOf(bucket);

    // Assess: no record mistaken for unconvertible, every one written once the writer works
    expect(errors).toEqual([new Error('IO Error: No space left on device')]);
    expect(keptAfterFailure).toBe(2);
    expect(errorDocumentsOf(objects)).toEqual([]);
    const data = objects.filter((o) => o.key.startsWith('events/'));
    expect((await parquetRows(data[0]?.body as Buffer)).map((row) => row[0])).toEqual(['b1', 'b2']);
    expect(delivered).toEqual([
      expect.objectContaining({ records: 2, lines: 2, conversionFailures: 0 }),
    ]);
  });
});
