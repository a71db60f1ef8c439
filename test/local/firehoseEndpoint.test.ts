import {
  DescribeDeliveryStreamCommand,
  type FirehoseClient,
  FirehoseServiceException,
  InvalidArgumentException,
  ListDeliveryStreamsCommand,
  PutRecordBatchCommand,
  PutRecordCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-firehose';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIREHOSE_LIMITS } from '../../core/codec/limits.js';
import { type AwsClients, createAwsClients, createFirehoseClient } from '../../local/awsClients.js';
import { type RunningEmulators, startEmulators } from '../../local/emulators/startEmulators.js';
import type { DirectPutDeliveryStreamSettings } from '../../local/firehose/DirectPutDeliveryStream.js';
import { LocalFirehose } from '../../local/firehose/LocalFirehose.js';
import { linesOf, readDeliveredObjects } from '../helpers/firehose.js';

const BUCKET = 'firehose-endpoint-test';
const HOUR = 3_600_000;

/** A delivery stream writing under `<name>/year=.../` that only flushes when asked. */
function streamSettings(
  name: string,
  overrides: Partial<DirectPutDeliveryStreamSettings> = {},
): DirectPutDeliveryStreamSettings {
  return {
    deliveryStreamName: name,
    bucket: BUCKET,
    prefix: `${name}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/`,
    errorOutputPrefix: `${name}-errors/!{firehose:error-output-type}/`,
    bufferingSizeBytes: 128 * 1024 * 1024,
    bufferingIntervalMs: HOUR,
    ...overrides,
  };
}

let emulators: RunningEmulators;
let clients: AwsClients;
let firehose: LocalFirehose;
let client: FirehoseClient;

beforeAll(async () => {
  emulators = await startEmulators({ host: '127.0.0.1', ports: { s3: 0 } });
  const s3 = `http://127.0.0.1:${emulators.ports.s3}`;
  clients = createAwsClients({ kinesis: s3, dynamodb: s3, s3 }, 'us-east-1');
  await clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  firehose = await LocalFirehose.start({
    host: '127.0.0.1',
    port: 0,
    region: 'us-east-1',
    s3: clients.s3,
    deliveryStreams: [
      streamSettings('limits'),
      streamSettings('sized', { bufferingSizeBytes: 1_000 }),
      streamSettings('timed', { bufferingIntervalMs: 300 }),
      streamSettings('ordered'),
    ],
  });
  client = createFirehoseClient(firehose.endpoint, 'us-east-1');
});

afterAll(async () => {
  await firehose?.stop();
  await emulators?.stop();
});

/** Records accepted so far by delivery stream `name`. */
const accepted = (name: string) => firehose.deliveryStream(name)?.stats.recordsAccepted ?? 0;

/** The error a call fails with. */
async function failureOf(call: Promise<unknown>): Promise<Error> {
  try {
    await call;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

const batchOf = (sizes: number[]) =>
  new PutRecordBatchCommand({
    DeliveryStreamName: 'limits',
    Records: sizes.map((size) => ({ Data: Buffer.alloc(size, 0x61) })),
  });

describe('local Firehose endpoint', () => {
  describe('PutRecordBatch limits', () => {
    it.each([
      { name: 'exactly 500 records', sizes: Array<number>(500).fill(10) },
      // 4 x 1,024,000 + 98,304 = 4,194,304
      {
        name: 'exactly 4 MiB of data',
        sizes: [1_024_000, 1_024_000, 1_024_000, 1_024_000, 98_304],
      },
      { name: 'a record of exactly 1,024,000 bytes', sizes: [1_024_000] },
    ])('accepts $name, giving every record an id', async ({ sizes }) => {
      // Prepare
      const before = accepted('limits');

      // Act
      const response = await client.send(batchOf(sizes));

      // Assess
      expect(response.FailedPutCount).toBe(0);
      expect(response.RequestResponses).toHaveLength(sizes.length);
      const ids = (response.RequestResponses ?? []).map((r) => r.RecordId);
      expect(new Set(ids).size).toBe(sizes.length);
      expect(accepted('limits') - before).toBe(sizes.length);
    });

    it.each([
      {
        name: '501 records',
        sizes: Array<number>(501).fill(10),
        type: 'ValidationException',
        message:
          "1 validation error detected: Value of 501 records at 'records' failed to satisfy constraint: Member must have length less than or equal to 500",
      },
      {
        name: '4 MiB and one byte of data',
        sizes: [1_024_000, 1_024_000, 1_024_000, 1_024_000, 98_305],
        type: 'InvalidArgumentException',
        message: 'Records size exceeds 4 MB limit',
      },
      {
        name: 'a record of 1,024,001 bytes',
        sizes: [10, 1_024_001],
        type: 'ValidationException',
        message:
          "1 validation error detected: Value of 1024001 bytes at 'records.2.member.data' failed to satisfy constraint: Member must have length less than or equal to 1024000",
      },
      {
        name: 'no records',
        sizes: [],
        type: 'ValidationException',
        message:
          "1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1",
      },
    ])('refuses $name whole with $type and stores nothing', async ({ sizes, type, message }) => {
      // Prepare
      const before = accepted('limits');

      // Act
      const error = await failureOf(client.send(batchOf(sizes)));

      // Assess
      expect(error).toBeInstanceOf(FirehoseServiceException);
      expect(error.name).toBe(type);
      expect(error.message).toBe(message);
      expect((error as FirehoseServiceException).$metadata.httpStatusCode).toBe(400);
      expect(accepted('limits')).toBe(before);
    });

    it('raises the modelled InvalidArgumentException for five records of the largest size', async () => {
      // Prepare: every record is within its limit; together they are 5,120,000 bytes.
      const before = accepted('limits');

      // Act
      const error = await failureOf(
        client.send(batchOf(Array<number>(5).fill(FIREHOSE_LIMITS.maxRecordBytes))),
      );

      // Assess
      expect(error).toBeInstanceOf(InvalidArgumentException);
      expect(accepted('limits')).toBe(before);
    });
  });

  describe('PutRecord', () => {
    it('stores one record and returns its id', async () => {
      // Prepare
      const before = accepted('limits');

      // Act
      const response = await client.send(
        new PutRecordCommand({
          DeliveryStreamName: 'limits',
          Record: { Data: Buffer.from('{}\n') },
        }),
      );

      // Assess
      expect(response.RecordId).toMatch(/^[A-Za-z0-9+/=]{20,}$/);
      expect(response.Encrypted).toBe(false);
      expect(accepted('limits') - before).toBe(1);
    });

    it('refuses a record of 1,024,001 bytes with ValidationException', async () => {
      // Act
      const error = await failureOf(
        client.send(
          new PutRecordCommand({
            DeliveryStreamName: 'limits',
            Record: { Data: Buffer.alloc(1_024_001) },
          }),
        ),
      );

      // Assess
      expect(error.name).toBe('ValidationException');
      expect(error.message).toContain("at 'record.data'");
    });
  });

  describe('errors', () => {
    it('answers ResourceNotFoundException, naming the stream, for an unknown delivery stream', async () => {
      // Act
      const error = await failureOf(
        client.send(
          new PutRecordBatchCommand({
            DeliveryStreamName: 'missing',
            Records: [{ Data: Buffer.from('x') }],
          }),
        ),
      );

      // Assess
      expect(error).toBeInstanceOf(ResourceNotFoundException);
      expect(error.message).toBe('Firehose missing under account 000000000000 not found.');
    });

    it('answers in the AWS JSON 1.1 error shape for an unknown target and for a body that is not JSON', async () => {
      // Prepare
      const post = (target: string, body: string) =>
        fetch(firehose.endpoint, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': target },
          body,
        });

      // Act
      const unknown = await post('Firehose_20150804.CreateDeliveryStream', '{}');
      const malformed = await post('Firehose_20150804.PutRecordBatch', '{"DeliveryStreamName":');

      // Assess
      expect(unknown.status).toBe(400);
      expect(unknown.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
      expect(unknown.headers.get('content-type')).toBe('application/x-amz-json-1.1');
      expect(await unknown.json()).toMatchObject({
        __type: 'UnknownOperationException',
        message: expect.stringContaining('CreateDeliveryStream is not served'),
      });
      expect(malformed.status).toBe(400);
      expect(await malformed.json()).toMatchObject({ __type: 'SerializationException' });
    });
  });

  describe('DescribeDeliveryStream and ListDeliveryStreams', () => {
    it('describes a direct-PUT stream with its S3 destination settings', async () => {
      // Act
      const { DeliveryStreamDescription: description } = await client.send(
        new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'timed' }),
      );

      // Assess
      expect(description).toMatchObject({
        DeliveryStreamName: 'timed',
        DeliveryStreamARN: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/timed',
        DeliveryStreamStatus: 'ACTIVE',
        DeliveryStreamType: 'DirectPut',
        HasMoreDestinations: false,
      });
      expect(description?.CreateTimestamp).toBeInstanceOf(Date);
      expect(description?.Destinations?.[0]?.ExtendedS3DestinationDescription).toMatchObject({
        BucketARN: `arn:aws:s3:::${BUCKET}`,
        Prefix: streamSettings('timed').prefix,
        ErrorOutputPrefix: streamSettings('timed').errorOutputPrefix,
        BufferingHints: { SizeInMBs: 128, IntervalInSeconds: 0 },
        CompressionFormat: 'GZIP',
      });
    });

    it('lists delivery streams in name order, a page at a time', async () => {
      // Act
      const first = await client.send(new ListDeliveryStreamsCommand({ Limit: 2 }));
      const rest = await client.send(
        new ListDeliveryStreamsCommand({ ExclusiveStartDeliveryStreamName: 'ordered' }),
      );
      const fromKinesis = await client.send(
        new ListDeliveryStreamsCommand({ DeliveryStreamType: 'KinesisStreamAsSource' }),
      );

      // Assess
      expect(first).toMatchObject({
        DeliveryStreamNames: ['limits', 'ordered'],
        HasMoreDeliveryStreams: true,
      });
      expect(rest).toMatchObject({
        DeliveryStreamNames: ['sized', 'timed'],
        HasMoreDeliveryStreams: false,
      });
      expect(fromKinesis.DeliveryStreamNames).toEqual([]);
    });
  });

  describe('S3 delivery', () => {
    it('writes a gzip object under the expanded prefix, named as Firehose names it, when the buffering size is reached', async () => {
      // Prepare: 4 records of 300 bytes pass the 1,000-byte buffering size on the fourth.
      const records = Array.from({ length: 4 }, (_, i) =>
        Buffer.from(`${JSON.stringify({ id: `sized-${i}`, pad: 'p'.repeat(275) })}\n`),
      );

      // Act
      await client.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: 'sized',
          Records: records.map((Data) => ({ Data })),
        }),
      );
      await waitFor(() => (firehose.deliveryStream('sized')?.stats.objectsDelivered ?? 0) > 0);
      const objects = await readDeliveredObjects(clients.s3, BUCKET, 'sized/');

      // Assess
      expect(objects).toHaveLength(1);
      const now = new Date();
      const hour = (n: number) => String(n).padStart(2, '0');
      expect(objects[0]?.key).toMatch(
        new RegExp(
          `^sized/year=${now.getUTCFullYear()}/month=${hour(now.getUTCMonth() + 1)}/day=${hour(now.getUTCDate())}/hour=\\d{2}/sized-1-\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-[0-9a-f-]{36}\\.gz$`,
        ),
      );
      expect(objects[0]?.contentEncoding).toBe('gzip');
      // Each record followed by the newline AppendDelimiterToRecord appends (an empty line after each).
      expect(objects[0]?.text).toBe(records.map((record) => `${record}\n`).join(''));
    });

    it('writes what is buffered once the buffering interval has passed, without a flush', async () => {
      // Act
      await client.send(
        new PutRecordCommand({
          DeliveryStreamName: 'timed',
          Record: { Data: Buffer.from('{"id":"timed-1"}\n') },
        }),
      );
      const before = firehose.deliveryStream('timed')?.stats.objectsDelivered;
      await waitFor(() => (firehose.deliveryStream('timed')?.stats.objectsDelivered ?? 0) > 0);

      // Assess
      expect(before).toBe(0);
      expect(linesOf(await readDeliveredObjects(clients.s3, BUCKET, 'timed/'))).toEqual([
        '{"id":"timed-1"}',
      ]);
    });

    it('keeps the records of consecutive calls in arrival order in one object', async () => {
      // Prepare
      const lines = Array.from({ length: 30 }, (_, i) => `{"id":"ordered-${i}"}`);

      // Act
      for (let i = 0; i < lines.length; i += 10) {
        await client.send(
          new PutRecordBatchCommand({
            DeliveryStreamName: 'ordered',
            Records: lines.slice(i, i + 10).map((line) => ({ Data: Buffer.from(`${line}\n`) })),
          }),
        );
      }
      await firehose.deliveryStream('ordered')?.flush();

      // Assess
      const objects = await readDeliveredObjects(clients.s3, BUCKET, 'ordered/');
      expect(objects).toHaveLength(1);
      expect(linesOf(objects)).toEqual(lines);
    });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
