import { gunzipSync } from 'node:zlib';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  PutRecordCommand,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KplRecordBuilder } from '../../core/codec/kplCodec.js';
import { encodeEventLine } from '../../core/codec/ndjsonCodec.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { type ArchiveDelivery, Archiver } from '../../local/archiver/Archiver.js';
import type { AwsClients } from '../../local/awsClients.js';
import type { RunningEmulators } from '../../local/emulators/startEmulators.js';
import { CheckpointStore } from '../../local/kinesis/CheckpointStore.js';
import { sampleEvent } from '../helpers/events.js';
import { corruptedKplRecordData, kplRecordData } from '../helpers/kplRecords.js';
import { startTestEmulators } from '../helpers/testEmulators.js';

const BUCKET = 'archiver-test';

let emulators: RunningEmulators;
let clients: AwsClients;
let streamCounter = 0;

/** Creates a one-shard stream holding one record per entry of `payloads`, in order. */
async function streamWith(payloads: readonly Buffer[]): Promise<string> {
  const StreamName = `archiver-test-${++streamCounter}`;
  await clients.kinesis.send(new CreateStreamCommand({ StreamName, ShardCount: 1 }));
  while (
    (await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName })))
      .StreamDescriptionSummary?.StreamStatus !== 'ACTIVE'
  ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const Data of payloads) {
    await clients.kinesis.send(new PutRecordCommand({ StreamName, PartitionKey: 'k', Data }));
  }
  return StreamName;
}

/** Runs an archiver over the stream until it delivered `records` records; returns the deliveries and the objects' content. */
async function archive(
  streamName: string,
  records: number,
): Promise<{ deliveries: ArchiveDelivery[]; content: Buffer }> {
  const deliveries: ArchiveDelivery[] = [];
  const errors: unknown[] = [];
  const archiver = new Archiver({
    kinesis: clients.kinesis,
    s3: clients.s3,
    streamName,
    deliveryStreamName: `${streamName}-archive`,
    bucket: BUCKET,
    prefix: `${streamName}/`,
    bufferingSizeBytes: 5 * 1024 * 1024,
    bufferingIntervalMs: 100,
    checkpoints: new CheckpointStore(),
    onDelivered: (delivery) => deliveries.push(delivery),
    onError: (error) => errors.push(error),
  });
  await archiver.start();
  const deadline = Date.now() + 15_000;
  while (deliveries.reduce((sum, d) => sum + d.records, 0) < records) {
    if (Date.now() > deadline) throw new Error(`archiver did not deliver within 15 s: ${errors}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await archiver.stop();

  const listing = await clients.s3.send(
    new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${streamName}/` }),
  );
  // Firehose names objects by arrival time; the key order is the delivery order here.
  const keys = (listing.Contents ?? []).map((object) => object.Key as string).sort();
  const bodies: Buffer[] = [];
  for (const Key of keys) {
    const object = await clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
    const body = object.Body as { transformToByteArray(): Promise<Uint8Array> };
    bodies.push(gunzipSync(await body.transformToByteArray()));
  }
  return { deliveries, content: Buffer.concat(bodies) };
}

beforeAll(async () => {
  ({ emulators, clients } = await startTestEmulators({ kinesis: true, s3: true }));
  await clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  await emulators?.stop();
});

describe('Archiver', () => {
  it('archives the events of KPL aggregated records one per line, as Firehose de-aggregates them', async () => {
    // Prepare: plain NDJSON, then an aggregate of three user records, then plain again
    const events: StreamfoldEvent[] = [
      sampleEvent('page_view'),
      sampleEvent('purchase'),
      sampleEvent('add_to_cart'),
      sampleEvent('purchase', { data: { country: 'FR' } }),
      sampleEvent('page_view', { data: { path: '/grüße/😀' } }),
      sampleEvent('purchase'),
      sampleEvent('page_view'),
      sampleEvent('add_to_cart'),
    ];
    const ndjson = (slice: StreamfoldEvent[]) => Buffer.concat(slice.map(encodeEventLine));
    const streamName = await streamWith([
      ndjson(events.slice(0, 2)),
      kplRecordData([events.slice(2, 4), events.slice(4, 5), events.slice(5, 7)]),
      ndjson(events.slice(7)),
    ]);

    // Act
    const { deliveries, content } = await archive(streamName, 3);

    // Assess: a newline follows each plain record and each user record, whose data already ended in one.
    const delimited = (slices: StreamfoldEvent[][]) =>
      Buffer.concat(slices.flatMap((slice) => [ndjson(slice), Buffer.from('\n')]));
    expect(
      content.equals(
        delimited([
          events.slice(0, 2),
          events.slice(2, 4),
          events.slice(4, 5),
          events.slice(5, 7),
          events.slice(7),
        ]),
      ),
    ).toBe(true);
    const lines = content
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '');
    expect(lines.map((line) => JSON.parse(line))).toEqual(events);
    expect(deliveries.reduce((sum, d) => sum + d.lines, 0)).toBe(events.length);
  });

  it('archives records and user records without a trailing newline each as a line of its own', async () => {
    // Prepare: JSON with no newline, as `aws kinesis put-record --data '{…}'` writes it.
    const events = Array.from({ length: 5 }, (_, i) =>
      sampleEvent('purchase', { data: { amount: i + 1 } }),
    );
    const bare = (event: StreamfoldEvent) => Buffer.from(JSON.stringify(event));
    const aggregate = new KplRecordBuilder();
    aggregate.add({ partitionKey: 'k', data: bare(events[2] as StreamfoldEvent) });
    aggregate.add({ partitionKey: 'k', data: bare(events[3] as StreamfoldEvent) });
    const streamName = await streamWith([
      bare(events[0] as StreamfoldEvent),
      bare(events[1] as StreamfoldEvent),
      aggregate.build(),
      bare(events[4] as StreamfoldEvent),
    ]);

    // Act
    const { deliveries, content } = await archive(streamName, 5);

    // Assess
    expect(content.toString('utf8')).toBe(
      events.map((event) => `${JSON.stringify(event)}\n`).join(''),
    );
    expect(deliveries.reduce((sum, d) => sum + d.lines, 0)).toBe(events.length);
  });

  it('archives a corrupt aggregate as it is, as a consumer reads it as plain data', async () => {
    // Prepare
    const plain = encodeEventLine(sampleEvent('purchase'));
    const corrupt = corruptedKplRecordData(kplRecordData([[sampleEvent('page_view')]]));
    const streamName = await streamWith([plain, corrupt]);

    // Act
    const { content } = await archive(streamName, 2);

    // Assess
    expect(
      content.equals(Buffer.concat([plain, Buffer.from('\n'), corrupt, Buffer.from('\n')])),
    ).toBe(true);
  });
});
