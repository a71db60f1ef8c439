import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config/loadConfig.js';
import { archiveTableColumns } from '../../../infra/archiveTableColumns.js';
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
    const bucket = 'parquet-delivery';
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const delivered: S3Delivery[] = [];
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
    });
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
    const bucket = 'parquet-delivery-retry';
    const errors: unknown[] = [];
    const delivered: S3Delivery[] = [];
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
});
