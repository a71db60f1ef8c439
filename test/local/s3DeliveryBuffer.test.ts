import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3Delivery, S3DeliveryBuffer } from '../../local/archiver/S3DeliveryBuffer.js';
import { type AwsClients, createAwsClients } from '../../local/awsClients.js';
import { type RunningEmulators, startEmulators } from '../../local/emulators/startEmulators.js';
import { readDeliveredObjects } from '../helpers/firehose.js';

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

describe('S3DeliveryBuffer on s3rver', () => {
  it('keeps the records of a failed write and writes them first, named by the oldest arrival', async () => {
    // Prepare: the bucket does not exist yet, so the first write fails.
    const bucket = 'delivery-buffer-retry';
    const errors: unknown[] = [];
    const delivered: { delivery: S3Delivery; marks: string[] }[] = [];
    const buffer = new S3DeliveryBuffer<string>({
      s3: clients.s3,
      bucket,
      prefix: 'p/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/',
      deliveryStreamName: 'retrying',
      bufferingSizeBytes: 1024 * 1024,
      bufferingIntervalMs: 60_000,
      onDelivered: (delivery, marks) => delivered.push({ delivery, marks }),
      onError: (error) => errors.push(error),
    });
    await buffer.add(Buffer.from('{"n":1}\n'), new Date('2026-01-02T03:04:05Z'), 'm1');
    await buffer.add(Buffer.from('{"n":2}\n'), new Date('2026-01-02T03:04:06Z'), 'm2');

    // Act
    await buffer.flush();
    const bufferedAfterFailure = buffer.bufferedRecords;
    await buffer.add(Buffer.from('{"n":3}\n'), new Date('2026-01-02T04:00:00Z'), 'm3');
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await buffer.flush();
    const objects = await readDeliveredObjects(clients.s3, bucket);

    // Assess
    expect(errors).toHaveLength(1);
    expect(bufferedAfterFailure).toBe(2);
    expect(buffer.bufferedRecords).toBe(0);
    expect(objects).toHaveLength(1);
    expect(objects[0]?.key).toMatch(
      /^p\/2026\/01\/02\/03\/retrying-1-2026-01-02-03-04-05-[0-9a-f-]{36}\.gz$/,
    );
    // A newline follows every record, as the stack's AppendDelimiterToRecord processor appends it.
    expect(objects[0]?.text).toBe('{"n":1}\n\n{"n":2}\n\n{"n":3}\n\n');
    expect(delivered).toEqual([
      { delivery: expect.objectContaining({ records: 3, lines: 3 }), marks: ['m1', 'm2', 'm3'] },
    ]);
  });

  it('names and partitions an object by its oldest record, not the first one buffered', async () => {
    // "When evaluating timestamps, Firehose uses the approximate arrival timestamp of the oldest
    // record that's contained in the Amazon S3 object being written."
    // (https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html)
    // Prepare: records of two shards, buffered as read: shard B's older record after shard A's.
    const bucket = 'delivery-buffer-oldest';
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const buffer = new S3DeliveryBuffer({
      s3: clients.s3,
      bucket,
      prefix: 'o/!{timestamp:yyyy/MM/dd/HH}/',
      deliveryStreamName: 'oldest',
      bufferingSizeBytes: 1024 * 1024,
      bufferingIntervalMs: 60_000,
    });

    // Act
    await buffer.add(Buffer.from('{"shard":"A"}'), new Date('2026-01-02T10:00:05.100Z'));
    await buffer.add(Buffer.from('{"shard":"B"}'), new Date('2026-01-02T09:59:58.900Z'));
    await buffer.add(Buffer.from('{"shard":"A"}'), new Date('2026-01-02T10:00:06.000Z'));
    await buffer.stop();
    const objects = await readDeliveredObjects(clients.s3, bucket);

    // Assess: hour 09 and 09:59:58, B's arrival, in the prefix and in the name; records in buffer order.
    expect(objects.map((o) => o.key)).toEqual([
      expect.stringMatching(
        /^o\/2026\/01\/02\/09\/oldest-1-2026-01-02-09-59-58-[0-9a-f-]{36}\.gz$/,
      ),
    ]);
    expect(objects[0]?.text).toBe('{"shard":"A"}\n{"shard":"B"}\n{"shard":"A"}\n');
  });

  it('writes an object each time the buffered bytes reach the buffering size', async () => {
    // Prepare
    const bucket = 'delivery-buffer-size';
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const buffer = new S3DeliveryBuffer({
      s3: clients.s3,
      bucket,
      prefix: 'sized/',
      deliveryStreamName: 'sized',
      bufferingSizeBytes: 100,
      bufferingIntervalMs: 60_000,
    });
    const record = Buffer.from('x'.repeat(39));

    // Act: 40-byte records with their delimiter; the third of each group passes 100 bytes.
    for (let i = 0; i < 7; i++) await buffer.add(record, new Date());
    const bufferedBeforeStop = buffer.bufferedRecords;
    await buffer.stop();
    const objects = await readDeliveredObjects(clients.s3, bucket);

    // Assess
    expect(bufferedBeforeStop).toBe(1);
    expect(objects.map((o) => o.text.length).sort((a, b) => a - b)).toEqual([40, 120, 120]);
  });

  it('writes each record as its own line whether or not it ends in a newline, and counts only non-empty lines', async () => {
    // Prepare
    const bucket = 'delivery-buffer-delimiter';
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const delivered: S3Delivery[] = [];
    const buffer = new S3DeliveryBuffer({
      s3: clients.s3,
      bucket,
      prefix: 'delimited/',
      deliveryStreamName: 'delimited',
      bufferingSizeBytes: 1024 * 1024,
      bufferingIntervalMs: 60_000,
      onDelivered: (delivery) => delivered.push(delivery),
    });
    const arrival = new Date();

    // Act: two records without a trailing newline, one with, one holding two lines.
    await buffer.add(Buffer.from('{"n":1}'), arrival);
    await buffer.add(Buffer.from('{"n":2}'), arrival);
    await buffer.add(Buffer.from('{"n":3}\n'), arrival);
    await buffer.add(Buffer.from('{"n":4}\n{"n":5}'), arrival);
    await buffer.stop();
    const objects = await readDeliveredObjects(clients.s3, bucket);

    // Assess
    expect(objects.map((o) => o.text)).toEqual(['{"n":1}\n{"n":2}\n{"n":3}\n\n{"n":4}\n{"n":5}\n']);
    expect(delivered).toEqual([expect.objectContaining({ records: 4, lines: 5 })]);
  });
});
