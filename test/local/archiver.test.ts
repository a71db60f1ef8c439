import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
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

/** Creates an active stream with `shards` shards. */
async function createStream(shards = 1): Promise<string> {
  const StreamName = `archiver-test-${++streamCounter}`;
  await clients.kinesis.send(new CreateStreamCommand({ StreamName, ShardCount: shards }));
  while (
    (await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName })))
      .StreamDescriptionSummary?.StreamStatus !== 'ACTIVE'
  ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return StreamName;
}

/** Puts one record per entry of `payloads`, in order, under one partition key. */
async function put(StreamName: string, payloads: readonly Buffer[]): Promise<void> {
  for (const Data of payloads) {
    await clients.kinesis.send(new PutRecordCommand({ StreamName, PartitionKey: 'k', Data }));
  }
}

/** An archiver over `streamName` writing under `<streamName>/`, telling `deliveries` of each object. */
function archiverOf(
  streamName: string,
  checkpoints: CheckpointStore,
  deliveries: ArchiveDelivery[],
  errors: unknown[] = [],
  overrides: Partial<ConstructorParameters<typeof Archiver>[0]> = {},
): Archiver {
  return new Archiver({
    kinesis: clients.kinesis,
    s3: clients.s3,
    streamName,
    deliveryStreamName: `${streamName}-archive`,
    bucket: BUCKET,
    prefix: `${streamName}/`,
    bufferingSizeBytes: 5 * 1024 * 1024,
    bufferingIntervalMs: 100,
    checkpoints,
    onDelivered: (delivery) => deliveries.push(delivery),
    onError: (error) => errors.push(error),
    ...overrides,
  });
}

/** Waits until `deliveries` hold `records` records in all. */
async function untilDelivered(
  deliveries: ArchiveDelivery[],
  records: number,
  errors: unknown[] = [],
): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (deliveries.reduce((sum, d) => sum + d.records, 0) < records) {
    if (Date.now() > deadline) throw new Error(`archiver did not deliver within 15 s: ${errors}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Starts an archiver on a new one-shard stream, puts one record per entry of
 * `payloads` (after the start: a new archive reads from LATEST), runs until
 * `userRecords` records (KPL user records counted one by one) are delivered;
 * returns the deliveries and the objects' content.
 */
async function archive(
  payloads: readonly Buffer[],
  userRecords: number,
): Promise<{ deliveries: ArchiveDelivery[]; content: Buffer }> {
  const streamName = await createStream();
  const deliveries: ArchiveDelivery[] = [];
  const errors: unknown[] = [];
  const archiver = archiverOf(streamName, new CheckpointStore(), deliveries, errors);
  await archiver.start();
  await put(streamName, payloads);
  await untilDelivered(deliveries, userRecords, errors);
  await archiver.stop();
  return { deliveries, content: await archivedContent(streamName, deliveries) };
}

/** The archived objects under `<streamName>/`, uncompressed, in delivery order. */
async function archivedContent(streamName: string, deliveries: ArchiveDelivery[]): Promise<Buffer> {
  const objects = await archivedObjects(streamName);
  expect(objects.map((object) => object.key).sort()).toEqual(
    deliveries.map((delivery) => delivery.key).sort(),
  );
  const byKey = new Map(objects.map((object) => [object.key, object.body]));
  return Buffer.concat(deliveries.map((delivery) => byKey.get(delivery.key) as Buffer));
}

/** The archived objects under `<streamName>/`, keys and uncompressed bodies. */
async function archivedObjects(streamName: string): Promise<{ key: string; body: Buffer }[]> {
  const listing = await clients.s3.send(
    new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${streamName}/` }),
  );
  const keys = (listing.Contents ?? []).map((object) => object.Key as string);
  const objects: { key: string; body: Buffer }[] = [];
  for (const Key of keys) {
    const object = await clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
    const body = object.Body as { transformToByteArray(): Promise<Uint8Array> };
    objects.push({ key: Key, body: gunzipSync(await body.transformToByteArray()) });
  }
  return objects;
}

/** Every record of every shard, with the shard it is in. */
async function streamRecords(
  StreamName: string,
): Promise<{ shardId: string; data: string; arrival: Date }[]> {
  const shards = (await clients.kinesis.send(new ListShardsCommand({ StreamName }))).Shards ?? [];
  const records: { shardId: string; data: string; arrival: Date }[] = [];
  for (const { ShardId } of shards) {
    const { ShardIterator } = await clients.kinesis.send(
      new GetShardIteratorCommand({
        StreamName,
        ShardId: ShardId as string,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const read = await clients.kinesis.send(new GetRecordsCommand({ ShardIterator }));
    for (const record of read.Records ?? []) {
      records.push({
        shardId: ShardId as string,
        data: Buffer.from(record.Data as Uint8Array).toString('utf8'),
        arrival: record.ApproximateArrivalTimestamp as Date,
      });
    }
  }
  return records;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const lines = (...texts: string[]) => texts.map((text) => `${text}\n`).join('');

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
    const payloads = [
      ndjson(events.slice(0, 2)),
      kplRecordData([events.slice(2, 4), events.slice(4, 5), events.slice(5, 7)]),
      ndjson(events.slice(7)),
    ];

    // Act
    const { deliveries, content } = await archive(payloads, 5);

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
    const archived = content
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '');
    expect(archived.map((line) => JSON.parse(line))).toEqual(events);
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
    const payloads = [
      bare(events[0] as StreamfoldEvent),
      bare(events[1] as StreamfoldEvent),
      aggregate.build(),
      bare(events[4] as StreamfoldEvent),
    ];

    // Act: four stream records, five user records delivered
    const { deliveries, content } = await archive(payloads, 5);

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
    // Act
    const { content } = await archive([plain, corrupt], 2);

    // Assess
    expect(
      content.equals(Buffer.concat([plain, Buffer.from('\n'), corrupt, Buffer.from('\n')])),
    ).toBe(true);
  });
  it('starts a new archive at LATEST: records put before it was created are not archived', async () => {
    // "Kinesis Firehose starts reading data from the LATEST position of your Kinesis stream."
    // (https://docs.aws.amazon.com/firehose/latest/dev/writing-with-kinesis-streams.html); TRIM_HORIZON
    // "is not available for an Amazon Kinesis Data Firehose delivery stream" (Kinesis Data Analytics
    // API, InputStartingPositionConfiguration).
    // Prepare
    const streamName = await createStream(2);
    await put(streamName, [Buffer.from('{"before":1}'), Buffer.from('{"before":2}')]);
    // A record stamped in the very millisecond of the creation is archived (nothing put after
    // the creation may be missed), and kinesalite's stamp can equal the clock when PutRecord
    // returns: the archive is created a few milliseconds later.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const deliveries: ArchiveDelivery[] = [];
    const archiver = archiverOf(streamName, new CheckpointStore(), deliveries);

    // Act
    await archiver.start();
    await put(streamName, [Buffer.from('{"after":1}'), Buffer.from('{"after":2}')]);
    await untilDelivered(deliveries, 2);
    await archiver.stop();

    // Assess
    expect((await archivedContent(streamName, deliveries)).toString('utf8')).toBe(
      lines('{"after":1}', '{"after":2}'),
    );
  });

  it('resumes from its checkpoints after a restart, before and after its first object: nothing lost, nothing twice', async () => {
    // Prepare: a file-backed archive, as `streamfold start --data-dir` keeps it.
    const folder = mkdtempSync(join(tmpdir(), 'archiver-restart-'));
    const file = join(folder, 'archive-checkpoints.json');
    const streamName = await createStream(2);
    await put(streamName, [Buffer.from('{"before":1}')]);
    const deliveries: ArchiveDelivery[] = [];
    const errors: unknown[] = [];
    try {
      // Act 1: the first run reads two records but never writes them (its bucket does not exist),
      // then stops, as a crash before the first object would.
      const first = archiverOf(streamName, new CheckpointStore({ file }), [], errors, {
        bucket: 'archiver-test-missing-bucket',
      });
      await first.start();
      await put(streamName, [Buffer.from('{"run":1,"n":1}'), Buffer.from('{"run":1,"n":2}')]);
      while (errors.length === 0) await sleep(50);
      await first.stop();
      const createdAt = JSON.parse(readFileSync(file, 'utf8')).createdAt;

      // Act 2: a restart writes them, and what comes next.
      const second = archiverOf(streamName, new CheckpointStore({ file }), deliveries);
      await second.start();
      await put(streamName, [Buffer.from('{"run":2}')]);
      await untilDelivered(deliveries, 3);
      await second.stop();

      // Act 3: a restart after objects were written goes on after them.
      await put(streamName, [Buffer.from('{"between":1}')]);
      const third = archiverOf(streamName, new CheckpointStore({ file }), deliveries);
      await third.start();
      await put(streamName, [Buffer.from('{"run":3}')]);
      await untilDelivered(deliveries, 5);
      await third.stop();

      // Assess: every record put after the archive was created, once; the one before it, never.
      const archived = (await archivedContent(streamName, deliveries))
        .toString('utf8')
        .split('\n')
        .filter((line) => line !== '')
        .sort();
      expect(archived).toEqual(
        ['{"between":1}', '{"run":1,"n":1}', '{"run":1,"n":2}', '{"run":2}', '{"run":3}'].sort(),
      );
      expect(new Date(createdAt).toISOString()).toBe(createdAt);
      expect(JSON.parse(readFileSync(file, 'utf8')).createdAt).toBe(createdAt);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('archives again what arrived since the creation time a checkpoint file holds alone', async () => {
    // Prepare: the way back the checkpoint file's error message offers.
    const folder = mkdtempSync(join(tmpdir(), 'archiver-created-at-'));
    const file = join(folder, 'archive-checkpoints.json');
    const streamName = await createStream();
    await put(streamName, [Buffer.from('{"before":1}')]);
    await sleep(20);
    writeFileSync(file, JSON.stringify({ createdAt: new Date().toISOString() }));
    await sleep(20);
    await put(streamName, [Buffer.from('{"since":1}'), Buffer.from('{"since":2}')]);
    const deliveries: ArchiveDelivery[] = [];
    try {
      // Act
      const archiver = archiverOf(streamName, new CheckpointStore({ file }), deliveries);
      await archiver.start();
      await untilDelivered(deliveries, 2);
      await archiver.stop();

      // Assess
      expect((await archivedContent(streamName, deliveries)).toString('utf8')).toBe(
        lines('{"since":1}', '{"since":2}'),
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('names and partitions an object by its oldest record when an older record of another shard is read later', async () => {
    // "When evaluating timestamps, Firehose uses the approximate arrival timestamp of the oldest
    // record that's contained in the Amazon S3 object being written."
    // (https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html)
    // Prepare: shard 1 is held back until shard 0's newer record is buffered.
    const streamName = await createStream(2);
    const shards = (await clients.kinesis.send(new ListShardsCommand({ StreamName: streamName })))
      .Shards;
    const heldShard = shards?.[1]?.ShardId as string;
    const heldHashKey = shards?.[1]?.HashKeyRange?.StartingHashKey as string;
    const otherHashKey = shards?.[0]?.HashKeyRange?.StartingHashKey as string;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Record data the archiver has read, as GetRecords answered it.
    const read = new Set<string>();
    const kinesis = {
      send: async (command: { input: { ShardId?: string } }) => {
        if (command instanceof GetShardIteratorCommand && command.input.ShardId === heldShard) {
          await released;
        }
        const response = await clients.kinesis.send(command as never);
        for (const record of (response as { Records?: { Data?: Uint8Array }[] }).Records ?? []) {
          read.add(Buffer.from(record.Data as Uint8Array).toString('utf8'));
        }
        return response;
      },
    } as unknown as KinesisClient;
    const untilRead = async (data: string) => {
      const deadline = Date.now() + 15_000;
      while (!read.has(data)) {
        if (Date.now() > deadline) throw new Error(`${data} not read within 15 s`);
        await sleep(25);
      }
    };
    const deliveries: ArchiveDelivery[] = [];
    const archiver = archiverOf(streamName, new CheckpointStore(), deliveries, [], {
      kinesis,
      prefix: `${streamName}/!{timestamp:HH'h'mm'm'ss's'}/`,
      bufferingIntervalMs: 60_000,
    });

    // Act: the older record goes to the held shard, the newer one to the other, 1.1 s later.
    await archiver.start();
    await clients.kinesis.send(
      new PutRecordCommand({
        StreamName: streamName,
        PartitionKey: 'k',
        ExplicitHashKey: heldHashKey,
        Data: Buffer.from('{"older":true}'),
      }),
    );
    await sleep(1_100);
    await clients.kinesis.send(
      new PutRecordCommand({
        StreamName: streamName,
        PartitionKey: 'k',
        ExplicitHashKey: otherHashKey,
        Data: Buffer.from('{"newer":true}'),
      }),
    );
    await untilRead('{"newer":true}');
    release();
    await untilRead('{"older":true}');
    await archiver.stop();
    const objects = await archivedObjects(streamName);
    const records = await streamRecords(streamName);

    // Assess: one object, records in the order buffered, named by the older record's arrival.
    const older = records.find((r) => r.data === '{"older":true}')?.arrival as Date;
    const newer = records.find((r) => r.data === '{"newer":true}')?.arrival as Date;
    const hms = (date: Date) => date.toISOString().slice(11, 19).split(':');
    const [h, m, sec] = hms(older);
    const stamp = older.toISOString().slice(0, 19).replace(/[T:]/g, '-');
    expect(hms(newer)).not.toEqual(hms(older));
    expect(objects.map((o) => o.key)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${streamName}/${h}h${m}m${sec}s/${streamName}-archive-1-${stamp}-[0-9a-f-]{36}\\.gz$`,
        ),
      ),
    ]);
    expect(objects[0]?.body.toString('utf8')).toBe(lines('{"newer":true}', '{"older":true}'));
  });
});
