import { CreateStreamCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCH_EVENT_BYTES, paddedEvents } from '../../bench/benchEvents.js';
import {
  runDynamoWriteBenchmark,
  WRITE_VARIANTS,
  WRITE_WORKLOAD,
} from '../../bench/dynamoWriteBenchmark.js';
import { readStreamRecords } from '../../bench/firehoseBilling.js';
import { KINESIS_LIMITS } from '../../core/codec/limits.js';
import { encodeEventLine } from '../../core/codec/ndjsonCodec.js';
import { webShopCatalog } from '../../examples/web-shop/catalog.js';
import { type AwsClients, createAwsClients } from '../../local/awsClients.js';
import { type RunningEmulators, startEmulators } from '../../local/emulators/startEmulators.js';
import { KinesisProducer } from '../../producers/KinesisProducer.js';

// Only figures that do not depend on the machine's speed: billing units for a fixed workload.
// The bounds are the README's targets; the wall-clock figures live in `npm run bench` only.
const PUT_UNITS_PER_EVENT_TARGET = 0.025;
const WRITE_UNITS_PER_EVENT_TARGET = 0.03;

let emulators: RunningEmulators;
let clients: AwsClients;
let dynamodbEndpoint: string;

beforeAll(async () => {
  emulators = await startEmulators({ host: '127.0.0.1', ports: { kinesis: 0, dynamodb: 0 } });
  const kinesisEndpoint = `http://127.0.0.1:${emulators.ports.kinesis}`;
  dynamodbEndpoint = `http://127.0.0.1:${emulators.ports.dynamodb}`;
  clients = createAwsClients(
    { kinesis: kinesisEndpoint, dynamodb: dynamodbEndpoint, s3: kinesisEndpoint },
    'us-east-1',
  );
});

afterAll(async () => {
  await emulators?.stop();
});

describe('benchmark figures that must not regress', () => {
  it('packs 500-byte events into at most 0.025 PUT payload units per event', async () => {
    // Prepare: the benchmark's padded events and a 2-shard stream
    const events = paddedEvents(5_000, { seed: 5 });
    expect(events.every((e) => encodeEventLine(e).length === BENCH_EVENT_BYTES)).toBe(true);
    const streamName = 'bench-put-units';
    await clients.kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 2 }));
    while (
      (await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName })))
        .StreamDescriptionSummary?.StreamStatus !== 'ACTIVE'
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const producer = new KinesisProducer({
      catalog: webShopCatalog,
      client: clients.kinesis,
      streamName,
      packing: 'ndjson',
      rateLimit: false,
      statsIntervalMs: 0,
    });

    // Act
    await Promise.all(events.map((event) => producer.put(event)));
    await producer.close();
    const records = await readStreamRecords(clients.kinesis, streamName);

    // Assess: the units the stream's records really take, not only what the producer counted
    const billed = records.reduce(
      (sum, r) =>
        sum +
        Math.ceil(
          ((r.Data?.length ?? 0) + Buffer.byteLength(r.PartitionKey ?? '')) /
            KINESIS_LIMITS.putPayloadUnitBytes,
        ),
      0,
    );
    expect(billed).toBe(producer.stats.putPayloadUnits);
    expect(billed / events.length).toBeLessThanOrEqual(PUT_UNITS_PER_EVENT_TARGET);
  });

  it('writes at most 0.03 DynamoDB write units per event at the stated workload', async () => {
    // Prepare: the benchmark's headline variant (one shard, count/sum/min/max, 100 keys)
    const headline = WRITE_VARIANTS[0];
    expect(headline).toBeDefined();

    // Act: 60 s of traffic at 1,000 events/s, 5 s batching windows
    const result = await runDynamoWriteBenchmark({
      endpoint: dynamodbEndpoint,
      seconds: 60,
      naiveEvents: 50,
      variants: headline ? [headline] : [],
    });

    // Assess
    const [measured] = result.variants;
    expect(measured?.events).toBe(60 * WRITE_WORKLOAD.eventsPerSecond);
    expect(measured?.items).toBe(WRITE_WORKLOAD.distinctGroups);
    expect(measured?.conditionFailures).toBe(0);
    // Every write takes at least one unit, so units can never fall below calls.
    expect(measured?.writeUnits).toBeGreaterThanOrEqual(measured?.updateItemCalls ?? Infinity);
    expect(measured?.writeUnitsPerEvent).toBeLessThanOrEqual(WRITE_UNITS_PER_EVENT_TARGET);
    expect(result.naive.writeUnitsPerEvent).toBe(1);
  });
});
