import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  type PutRecordsCommandInput,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { KINESIS_LIMITS } from '../../core/codec/limits.js';
import { unpackRecord } from '../../core/codec/ndjsonCodec.js';
import type { EventCatalog } from '../../core/events/catalog.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { webShopCatalog } from '../../examples/web-shop/catalog.js';
import { sampleEventGenerator } from '../../examples/web-shop/sampleEvents.js';
import { type AwsClients, createAwsClients } from '../../local/awsClients.js';
import { type RunningEmulators, startEmulators } from '../../local/emulators/startEmulators.js';
import { ShardReader } from '../../local/kinesis/ShardReader.js';
import { EventTooLargeError } from '../../producers/errors.js';
import { KinesisProducer } from '../../producers/KinesisProducer.js';
import { partitionKeyHash } from '../../producers/ShardMap.js';
import { deaggregateWithReference } from '../helpers/awsKinesisAgg.js';

let emulators: RunningEmulators;
let clients: AwsClients;
let streams = 0;

/** Creates a fresh stream and waits until it is ACTIVE. */
async function createStream(shardCount: number): Promise<string> {
  const name = `shards-${++streams}`;
  await clients.kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  await waitActive(name);
  return name;
}

async function waitActive(name: string): Promise<void> {
  while (
    (await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name })))
      .StreamDescriptionSummary?.StreamStatus !== 'ACTIVE'
  ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every record of every shard (closed ones included), with the shard it was read from. */
async function readAll(stream: string): Promise<{ shardId: string; lines: string[] }[]> {
  const shards = await clients.kinesis.send(new ListShardsCommand({ StreamName: stream }));
  const out: { shardId: string; lines: string[] }[] = [];
  for (const shard of shards.Shards ?? []) {
    const shardId = shard.ShardId as string;
    const reader = new ShardReader(clients.kinesis, stream, shardId, { position: 'TRIM_HORIZON' });
    const lines: string[] = [];
    for (;;) {
      const read = await reader.read(10_000);
      for (const record of read.records) lines.push(...unpackRecord(record.Data as Uint8Array));
      if (read.closed || (read.records.length === 0 && read.millisBehindLatest === 0)) break;
    }
    out.push({ shardId, lines });
  }
  return out;
}

/** A client whose PutRecords inputs are recorded before they go to kinesalite. */
function recordingClient(): { client: KinesisClient; calls: PutRecordsCommandInput[] } {
  const calls: PutRecordsCommandInput[] = [];
  const client = new Proxy(clients.kinesis, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return (command: unknown) => {
        if (command instanceof PutRecordsCommand) calls.push(command.input);
        return target.send(command as PutRecordsCommand);
      };
    },
  });
  return { client, calls };
}

const blobCatalog = { blob: z.object({ text: z.string() }) } satisfies EventCatalog;

/** A blob event whose record (NDJSON line plus partition key `pk`) is exactly `bytes` long. */
function blobOfRecordSize(bytes: number, pk: string): StreamfoldEvent<'blob', { text: string }> {
  const event = {
    id: pk,
    type: 'blob' as const,
    time: new Date().toISOString(),
    source: 'test',
    data: { text: '' },
  };
  const overhead = JSON.stringify(event).length + 1 + pk.length;
  event.data.text = 'x'.repeat(bytes - overhead);
  return event;
}

beforeAll(async () => {
  emulators = await startEmulators({ host: '127.0.0.1', ports: { kinesis: 0 } });
  const endpoint = `http://127.0.0.1:${emulators.ports.kinesis}`;
  clients = createAwsClients({ kinesis: endpoint, dynamodb: endpoint, s3: endpoint }, 'us-east-1');
});

afterAll(async () => {
  await emulators?.stop();
});

describe('KinesisProducer shard routing against kinesalite', () => {
  it('packs per shard and lands every event on the shard its partition key hashes to', async () => {
    // Prepare
    const stream = await createStream(4);
    const producer = new KinesisProducer({
      client: clients.kinesis,
      streamName: stream,
      catalog: webShopCatalog,
    });
    const next = sampleEventGenerator();
    const sent = Array.from({ length: 3_000 }, (_, i) => ({
      event: next(),
      key: `user-${i % 97}`,
    }));

    // Act
    const acks = await Promise.all(
      sent.map(({ event, key }) => producer.put(event, { partitionKey: key })),
    );
    await producer.close();

    // Assess: the shard each event was read from owns the hash of its partition key
    const keyOf = new Map(sent.map(({ event, key }) => [event.id, key]));
    const ranges = new Map(producer.shards.map((s) => [s.shardId, s]));
    const read = await readAll(stream);
    const ids = read.flatMap(({ shardId, lines }) =>
      lines.map((line) => {
        const id = (JSON.parse(line) as StreamfoldEvent).id;
        const hash = partitionKeyHash(keyOf.get(id) as string);
        const range = ranges.get(shardId);
        expect(range && hash >= range.startingHashKey && hash <= range.endingHashKey, id).toBe(
          true,
        );
        return id;
      }),
    );
    expect(ids.sort()).toEqual(sent.map(({ event }) => event.id).sort());
    expect(new Set(acks.map((a) => a.shardId)).size).toBe(4);
    expect(producer.stats.recordsSent).toBeLessThan(sent.length / 10);
  });

  it("writes kpl records that aws-kinesis-agg de-aggregates into every event, each on its own key's shard", async () => {
    // Prepare
    const stream = await createStream(2);
    const producer = new KinesisProducer({
      catalog: webShopCatalog,
      client: clients.kinesis,
      streamName: stream,
      packing: 'kpl',
    });
    const next = sampleEventGenerator();
    const sent = Array.from({ length: 2_000 }, (_, i) => ({
      event: next(),
      key: `device-${i % 31}`,
    }));

    // Act
    await Promise.all(sent.map(({ event, key }) => producer.put(event, { partitionKey: key })));
    await producer.close();

    // Assess: read raw records, de-aggregate with the independent package
    const ranges = new Map(producer.shards.map((s) => [s.shardId, s]));
    const got: { id: string; key: string }[] = [];
    const shards = await clients.kinesis.send(new ListShardsCommand({ StreamName: stream }));
    for (const shard of shards.Shards ?? []) {
      const range = ranges.get(shard.ShardId as string);
      const reader = new ShardReader(clients.kinesis, stream, shard.ShardId as string, {
        position: 'TRIM_HORIZON',
      });
      for (;;) {
        const read = await reader.read(10_000);
        for (const record of read.records) {
          for (const user of deaggregateWithReference(Buffer.from(record.Data as Uint8Array))) {
            // KCL drops an aggregate whose user records hash outside the shard it came from.
            const hash = user.explicitHashKey
              ? BigInt(user.explicitHashKey)
              : partitionKeyHash(user.partitionKey);
            expect(range && hash >= range.startingHashKey && hash <= range.endingHashKey).toBe(
              true,
            );
            for (const line of unpackRecord(user.data)) {
              got.push({ id: (JSON.parse(line) as StreamfoldEvent).id, key: user.partitionKey });
            }
          }
        }
        if (read.records.length === 0 && read.millisBehindLatest === 0) break;
      }
    }
    expect(got.map((g) => g.id).sort()).toEqual(sent.map(({ event }) => event.id).sort());
    const keyOf = new Map(sent.map(({ event, key }) => [event.id, key]));
    expect(got.every((g) => keyOf.get(g.id) === g.key)).toBe(true);
    expect(producer.stats.recordsAcknowledged).toBeLessThan(sent.length / 20);
  });

  it('loses nothing and routes to the children when a shard is split during a run', async () => {
    // Prepare
    const stream = await createStream(1);
    const producer = new KinesisProducer({
      catalog: webShopCatalog,
      client: clients.kinesis,
      streamName: stream,
      lingerMs: 5,
    });
    const next = sampleEventGenerator();
    const puts: Promise<unknown>[] = [];
    const ids: string[] = [];
    const produce = async (count: number, pauseMs: number) => {
      for (let i = 0; i < count; i++) {
        const event = next();
        ids.push(event.id);
        puts.push(producer.put(event));
        if (i % 200 === 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    };

    // Act: produce, split the only shard in half, keep producing
    await produce(4_000, 5);
    const [parent] = producer.shards;
    await clients.kinesis.send(
      new SplitShardCommand({
        StreamName: stream,
        ShardToSplit: parent?.shardId,
        NewStartingHashKey: (2n ** 127n).toString(),
      }),
    );
    await waitActive(stream);
    // Long enough after the split for the producer to notice records landing on a child (≥ 1 s).
    await produce(6_000, 60);
    await Promise.all(puts);
    await producer.close();

    // Assess: every event exactly once; the producer learned both children
    const read = await readAll(stream);
    const got = read.flatMap(({ lines }) =>
      lines.map((l) => (JSON.parse(l) as StreamfoldEvent).id),
    );
    expect(got.length).toBe(ids.length);
    expect(new Set(got)).toEqual(new Set(ids));
    expect(producer.shards.map((s) => s.shardId)).not.toContain(parent?.shardId);
    expect(producer.shards).toHaveLength(2);
    const children = read.filter(({ shardId }) => shardId !== parent?.shardId);
    expect(children.every(({ lines }) => lines.length > 0)).toBe(true);
  });
});

describe('KinesisProducer at the PutRecords limits against kinesalite', () => {
  const counts = (calls: PutRecordsCommandInput[]) => calls.map((c) => c.Records?.length ?? 0);
  const bytes = (call: PutRecordsCommandInput) =>
    (call.Records ?? []).reduce(
      (sum, r) => sum + (r.Data?.length ?? 0) + (r.PartitionKey?.length ?? 0),
      0,
    );

  it.each([
    [500, [500]],
    [501, [500, 1]],
  ])('sends %i one-event records in calls of %j', async (events, expected) => {
    const stream = await createStream(1);
    const { client, calls } = recordingClient();
    const producer = new KinesisProducer({
      catalog: webShopCatalog,
      client,
      streamName: stream,
      packing: 'none',
      rateLimit: false,
      lingerMs: 1_000,
    });
    const next = sampleEventGenerator();
    const puts = Array.from({ length: events }, () => producer.put(next()));
    await producer.flush();
    await Promise.all(puts);
    await producer.close();
    expect(counts(calls)).toEqual(expected);
    expect((await readAll(stream))[0]?.lines).toHaveLength(events);
  });

  it.each([
    [0, 1],
    [1, 2],
  ])(
    'fills a call to exactly 5 MiB, and splits it when the records are %i byte over (%i calls)',
    async (extra, expectedCalls) => {
      const stream = await createStream(1);
      const { client, calls } = recordingClient();
      const producer = new KinesisProducer({
        client,
        streamName: stream,
        catalog: blobCatalog,
        packing: 'none',
        rateLimit: false,
        lingerMs: 1_000,
      });
      const mib = KINESIS_LIMITS.maxRecordBytes;
      const sizes = [mib, mib, mib, mib, mib - 4_096, 4_096 + extra];
      const puts = sizes.map((size, i) => producer.put(blobOfRecordSize(size, `blob-${i}`)));
      await producer.flush();
      await Promise.all(puts);
      await producer.close();
      expect(calls).toHaveLength(expectedCalls);
      expect(calls.every((call) => bytes(call) <= KINESIS_LIMITS.maxBytesPerPutRecords)).toBe(true);
      if (extra === 0) expect(bytes(calls[0] as PutRecordsCommandInput)).toBe(5 * mib);
      expect((await readAll(stream))[0]?.lines).toHaveLength(sizes.length);
    },
  );

  it('sends a record of exactly 1 MiB and refuses one a byte larger without sending it', async () => {
    const stream = await createStream(1);
    const { client, calls } = recordingClient();
    const producer = new KinesisProducer({ client, streamName: stream, catalog: blobCatalog });
    const mib = KINESIS_LIMITS.maxRecordBytes;

    const ack = await producer.put(blobOfRecordSize(mib, 'exact'), { partitionKey: 'exact' });
    const over = await producer
      .put(blobOfRecordSize(mib + 1, 'over'), { partitionKey: 'over' })
      .catch((error: unknown) => error);
    await producer.close();

    expect(ack.sequenceNumber).toBeTruthy();
    expect(over).toBeInstanceOf(EventTooLargeError);
    expect(over).toMatchObject({ bytes: mib + 1, limitBytes: mib });
    expect(calls).toHaveLength(1);
    expect(bytes(calls[0] as PutRecordsCommandInput)).toBe(mib);
  });
});
