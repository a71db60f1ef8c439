import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpackRecord } from '../../core/codec/ndjsonCodec.js';
import { webShopCatalog } from '../../examples/web-shop/catalog.js';
import { sampleEventGenerator } from '../../examples/web-shop/sampleEvents.js';
import { type AwsClients, createAwsClients } from '../../local/awsClients.js';
import { type RunningEmulators, startEmulators } from '../../local/emulators/startEmulators.js';
import { ShardReader } from '../../local/kinesis/ShardReader.js';
import { InvalidEventError } from '../../producers/errors.js';
import { KinesisProducer } from '../../producers/KinesisProducer.js';

const STREAM = 'producer-test';
let emulators: RunningEmulators;
let clients: AwsClients;

async function readAllLines(): Promise<string[]> {
  const shards = await clients.kinesis.send(new ListShardsCommand({ StreamName: STREAM }));
  const lines: string[] = [];
  for (const shard of shards.Shards ?? []) {
    const reader = new ShardReader(clients.kinesis, STREAM, shard.ShardId as string, {
      position: 'TRIM_HORIZON',
    });
    for (;;) {
      const read = await reader.read(10_000);
      for (const record of read.records) lines.push(...unpackRecord(record.Data as Uint8Array));
      if (read.records.length === 0 && read.millisBehindLatest === 0) break;
    }
  }
  return lines;
}

beforeAll(async () => {
  emulators = await startEmulators({ host: '127.0.0.1', ports: { kinesis: 0 } });
  const endpoint = `http://127.0.0.1:${emulators.ports.kinesis}`;
  clients = createAwsClients({ kinesis: endpoint, dynamodb: endpoint, s3: endpoint }, 'us-east-1');
  await clients.kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 2 }));
  while (
    (await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM })))
      .StreamDescriptionSummary?.StreamStatus !== 'ACTIVE'
  ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

afterAll(async () => {
  await emulators?.stop();
});

describe('KinesisProducer against kinesalite', () => {
  it('delivers every event exactly once, packed several to a record, when 20,000 events are put', async () => {
    // Prepare
    const producer = new KinesisProducer({
      client: clients.kinesis,
      streamName: STREAM,
      catalog: webShopCatalog,
    });
    const next = sampleEventGenerator({ source: 'producer-test' });
    const events = Array.from({ length: 20_000 }, next);
    // Act
    const acks = await Promise.all(events.map((event) => producer.put(event)));
    await producer.close();
    const lines = await readAllLines();
    // Assess
    expect(
      acks.every((ack) => ack.shardId.startsWith('shardId-') && ack.sequenceNumber.length > 0),
    ).toBe(true);
    expect(lines.sort()).toEqual(events.map((event) => JSON.stringify(event)).sort());
    expect(producer.stats.recordsSent).toBeLessThan(events.length / 20);
    expect(new Set(acks.map((ack) => ack.shardId)).size).toBe(2);
  });

  it('rejects an invalid event naming the field and sends nothing for it', async () => {
    // Prepare
    const producer = new KinesisProducer({
      client: clients.kinesis,
      streamName: STREAM,
      catalog: webShopCatalog,
    });
    const event = {
      ...sampleEventGenerator()(),
      type: 'purchase' as const,
      data: { amount: 'lots' },
    };
    // Act
    const attempt = producer.put(event as never);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidEventError);
    await expect(attempt).rejects.toThrow(/data\.\w+/);
    await producer.close();
    expect(producer.stats.putRecordsCalls).toBe(0);
  });
});
