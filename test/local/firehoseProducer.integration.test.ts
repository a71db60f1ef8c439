import {
  type FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchCommandOutput,
  type PutRecordBatchResponseEntry,
} from '@aws-sdk/client-firehose';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { webShopCatalog } from '../../examples/web-shop/catalog.js';
import { sampleEventGenerator } from '../../examples/web-shop/sampleEvents.js';
import { type AwsClients, createAwsClients, createFirehoseClient } from '../../local/awsClients.js';
import { type RunningEmulators, startEmulators } from '../../local/emulators/startEmulators.js';
import { LocalFirehose } from '../../local/firehose/LocalFirehose.js';
import { EventTooLargeError } from '../../producers/errors.js';
import { FirehoseProducer } from '../../producers/FirehoseProducer.js';
import {
  blobCatalog,
  eventOfLineLength,
  linesOf,
  readDeliveredObjects,
} from '../helpers/firehose.js';
import { seededRandom } from '../helpers/seededRandom.js';

const BUCKET = 'firehose-producer-test';
const STREAMS = ['direct-all', 'direct-faults', 'direct-limits', 'direct-close'] as const;

/**
 * Wraps the real client and makes Firehose's partial failures happen: entries
 * `failEntry` picks are answered as failed without reaching the endpoint, the
 * others are forwarded in one real PutRecordBatch call and answered with the
 * endpoint's own record ids; calls `failCall` picks fail whole.
 */
class FaultInjectingFirehose {
  public injectedEntryFailures = 0;
  public recordsInFailedCalls = 0;
  #calls = 0;

  public constructor(
    private readonly inner: FirehoseClient,
    private readonly failEntry: (call: number, entry: number) => string | undefined,
    private readonly failCall: (call: number) => boolean = () => false,
  ) {}

  public async send(command: unknown): Promise<Partial<PutRecordBatchCommandOutput>> {
    if (!(command instanceof PutRecordBatchCommand)) throw new Error('unexpected command');
    const records = command.input.Records ?? [];
    const call = this.#calls++;
    if (this.failCall(call)) {
      this.recordsInFailedCalls += records.length;
      const error = new Error('Slow down.');
      error.name = 'ServiceUnavailableException';
      throw error;
    }
    const verdicts = records.map((_, entry) => this.failEntry(call, entry));
    const forwarded = records.filter((_, entry) => verdicts[entry] === undefined);
    let real: PutRecordBatchResponseEntry[] = [];
    if (forwarded.length > 0) {
      const response = await this.inner.send(
        new PutRecordBatchCommand({ ...command.input, Records: forwarded }),
      );
      real = response.RequestResponses ?? [];
    }
    let next = 0;
    const results = verdicts.map((code) => {
      if (code === undefined) return real[next++] ?? {};
      this.injectedEntryFailures++;
      return { ErrorCode: code, ErrorMessage: `injected ${code}` };
    });
    return {
      FailedPutCount: results.filter((r) => 'ErrorCode' in r).length,
      Encrypted: false,
      RequestResponses: results,
    };
  }

  public get client(): FirehoseClient {
    return this as unknown as FirehoseClient;
  }
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
    deliveryStreams: STREAMS.map((name) => ({
      deliveryStreamName: name,
      bucket: BUCKET,
      prefix: `${name}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/`,
      errorOutputPrefix: `${name}-errors/!{firehose:error-output-type}/`,
      bufferingSizeBytes: 5 * 1024 * 1024,
      bufferingIntervalMs: 60_000,
    })),
  });
  client = createFirehoseClient(firehose.endpoint, 'us-east-1');
});

afterAll(async () => {
  await firehose?.stop();
  await emulators?.stop();
});

/** Writes the stream's buffer and returns the NDJSON lines delivered under its prefix. */
async function deliveredLines(stream: string): Promise<string[]> {
  await firehose.deliveryStream(stream)?.flush();
  return linesOf(await readDeliveredObjects(clients.s3, BUCKET, `${stream}/`));
}

const asLines = (events: readonly StreamfoldEvent[]) =>
  events.map((event) => JSON.stringify(event)).sort();

describe('FirehoseProducer against the local Firehose endpoint', () => {
  it('delivers 20,000 events exactly once as gzip NDJSON under the prefix, packed many to a record', async () => {
    // Prepare
    const producer = new FirehoseProducer({
      client,
      deliveryStreamName: 'direct-all',
      catalog: webShopCatalog,
    });
    const next = sampleEventGenerator({ source: 'firehose-test', random: seededRandom(7) });
    const events = Array.from({ length: 20_000 }, next);

    // Act
    const acks = await Promise.all(events.map((event) => producer.put(event)));
    await producer.close();
    await firehose.deliveryStream('direct-all')?.flush();
    const objects = await readDeliveredObjects(clients.s3, BUCKET, 'direct-all/');

    // Assess
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) {
      expect(object.key).toMatch(
        /^direct-all\/year=\d{4}\/month=\d{2}\/day=\d{2}\/hour=\d{2}\/direct-all-1-\d{4}(-\d{2}){5}-[0-9a-f-]{36}\.gz$/,
      );
      expect(object.contentEncoding).toBe('gzip');
    }
    expect(linesOf(objects).sort()).toEqual(asLines(events));
    expect(producer.stats.recordsSent).toBeLessThan(events.length / 50);
    expect(new Set(acks.map((ack) => ack.recordId)).size).toBe(producer.stats.recordsAcknowledged);
    expect(firehose.stats.errors).toEqual({});
  });

  it('re-sends only the entries marked failed, so every event reaches S3 exactly once', async () => {
    // Prepare: about 30% of entries fail (alternating codes) and the third call fails whole.
    const random = seededRandom(11);
    let failures = 0;
    const faulty = new FaultInjectingFirehose(
      client,
      () =>
        random() < 0.3
          ? ++failures % 2 === 0
            ? 'ServiceUnavailableException'
            : 'InternalFailure'
          : undefined,
      (call) => call === 2,
    );
    const producer = new FirehoseProducer({
      catalog: webShopCatalog,
      client: faulty.client,
      deliveryStreamName: 'direct-faults',
      recordTargetBytes: 2_000,
      lingerMs: 5,
      baseBackoffMs: 1,
      maxBackoffMs: 5,
      maxAttempts: 30,
    });
    const next = sampleEventGenerator({ source: 'fault-test', random: seededRandom(3) });
    const events = Array.from({ length: 5_000 }, next);

    // Act
    await Promise.all(events.map((event) => producer.put(event)));
    await producer.close();
    const lines = await deliveredLines('direct-faults');

    // Assess
    expect(faulty.injectedEntryFailures).toBeGreaterThan(50);
    expect(faulty.recordsInFailedCalls).toBeGreaterThan(0);
    expect(lines).toHaveLength(events.length);
    expect(lines.sort()).toEqual(asLines(events));
    expect(producer.stats.recordsRetried).toBe(
      faulty.injectedEntryFailures + faulty.recordsInFailedCalls,
    );
    expect(firehose.deliveryStream('direct-faults')?.stats.recordsAccepted).toBe(
      producer.stats.recordsAcknowledged,
    );
  });

  it('fills calls up to the limits the endpoint enforces and never sends one it refuses', async () => {
    // Prepare
    const requestsBefore = firehose.stats.requests.PutRecordBatch ?? 0;
    const bigProducer = new FirehoseProducer({
      client,
      deliveryStreamName: 'direct-limits',
      catalog: blobCatalog,
      recordTargetBytes: 524_288,
      lingerMs: 20,
    });
    const smallProducer = new FirehoseProducer({
      catalog: webShopCatalog,
      client,
      deliveryStreamName: 'direct-limits',
      recordTargetBytes: 1,
      lingerMs: 20,
    });
    // 8 x 524,288 bytes fill a call to exactly 4 MiB; 1,024,000 bytes is the largest record.
    const big = [
      ...Array.from({ length: 9 }, (_, i) => eventOfLineLength(524_288, `half-mib-${i}`)),
      eventOfLineLength(1_024_000, 'largest'),
    ];
    const next = sampleEventGenerator({ source: 'limits-test', random: seededRandom(5) });
    // One event per record: 1,001 records make calls of 500, 500 and 1.
    const small = Array.from({ length: 1_001 }, next);

    // Act
    const tooLarge = bigProducer
      .put(eventOfLineLength(1_024_001, 'too-large'))
      .catch((error: unknown) => error);
    await Promise.all([
      ...big.map((event) => bigProducer.put(event)),
      ...small.map((event) => smallProducer.put(event)),
    ]);
    await Promise.all([bigProducer.close(), smallProducer.close()]);
    const lines = await deliveredLines('direct-limits');

    // Assess
    expect(await tooLarge).toBeInstanceOf(EventTooLargeError);
    expect(firehose.stats.errors).toEqual({});
    expect(lines.sort()).toEqual(asLines([...big, ...small]));
    expect(bigProducer.stats.bytesSent).toBe(9 * 524_288 + 1_024_000);
    expect(smallProducer.stats.putRecordBatchCalls).toBe(3);
    expect((firehose.stats.requests.PutRecordBatch ?? 0) - requestsBefore).toBe(
      bigProducer.stats.putRecordBatchCalls + smallProducer.stats.putRecordBatchCalls,
    );
  });

  it('close() while calls are in flight resolves once every accepted event is stored', async () => {
    // Prepare
    const producer = new FirehoseProducer({
      catalog: webShopCatalog,
      client,
      deliveryStreamName: 'direct-close',
      recordTargetBytes: 1_000,
      maxInFlightRequests: 2,
    });
    const next = sampleEventGenerator({ source: 'close-test', random: seededRandom(9) });
    const events = Array.from({ length: 3_000 }, next);
    const puts = events.map((event) => producer.put(event));

    // Act
    await new Promise((resolve) => setTimeout(resolve, 1));
    const inFlightAtClose = producer.bufferedEvents;
    await producer.close();
    const settled = await Promise.allSettled(puts);

    // Assess
    expect(inFlightAtClose).toBeGreaterThan(0);
    expect(settled.every((outcome) => outcome.status === 'fulfilled')).toBe(true);
    expect(producer.bufferedEvents).toBe(0);
    expect((await deliveredLines('direct-close')).sort()).toEqual(asLines(events));
  });
});
