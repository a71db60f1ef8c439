import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  PutRecordCommand,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../local/awsClients.js';
import type { RunningEmulators } from '../../local/emulators/startEmulators.js';
import {
  EventSourceMappingRunner,
  type EventSourceMappingSettings,
  type KinesisHandler,
} from '../../local/eventSourceMapping/EventSourceMappingRunner.js';
import { CheckpointStore } from '../../local/kinesis/CheckpointStore.js';
import { startTestEmulators } from '../helpers/testEmulators.js';

const BUCKET = 'esm-on-failure';
const SETTINGS: EventSourceMappingSettings = {
  batchSize: 10,
  maxBatchingWindowMs: 200,
  bisectBatchOnError: false,
  maxRetryAttempts: 2,
  maxRecordAgeMs: 3_600_000,
  startingPosition: 'TRIM_HORIZON',
  timeoutMs: 5_000,
};

let emulators: RunningEmulators;
let clients: AwsClients;
let streamCounter = 0;
let runner: EventSourceMappingRunner | undefined;

/** Creates a one-shard stream holding `payloads` in order. */
async function streamWith(payloads: string[]): Promise<string> {
  const StreamName = `esm-test-${++streamCounter}`;
  await clients.kinesis.send(new CreateStreamCommand({ StreamName, ShardCount: 1 }));
  while (
    (await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName })))
      .StreamDescriptionSummary?.StreamStatus !== 'ACTIVE'
  ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const payload of payloads) {
    await clients.kinesis.send(
      new PutRecordCommand({ StreamName, PartitionKey: 'k', Data: Buffer.from(payload) }),
    );
  }
  return StreamName;
}

/** Runs the mapping with `handler` until `done()` holds. */
async function runUntil(
  streamName: string,
  handler: KinesisHandler,
  done: () => boolean,
  settings: Partial<EventSourceMappingSettings> = {},
): Promise<void> {
  runner = new EventSourceMappingRunner({
    kinesis: clients.kinesis,
    s3: clients.s3,
    streamName,
    region: 'us-east-1',
    functionName: 'test-function',
    settings: { ...SETTINGS, ...settings },
    handler,
    checkpoints: new CheckpointStore(),
    onFailure: { bucket: BUCKET, prefix: `${streamName}/` },
  });
  await runner.start();
  const deadline = Date.now() + 20_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('condition not reached within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await runner.stop();
  runner = undefined;
}

const payloadsOf = (event: KinesisStreamEvent) =>
  event.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString('utf8'));

async function onFailureObjects(
  prefix: string,
): Promise<{ condition: string; payloads: string[] }[]> {
  const listing = await clients.s3.send(
    new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }),
  );
  const objects = [];
  for (const entry of listing.Contents ?? []) {
    const object = await clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: entry.Key }));
    const body = JSON.parse(
      await (object.Body as { transformToString(): Promise<string> }).transformToString(),
    );
    objects.push({
      condition: body.requestContext.condition,
      payloads: payloadsOf(JSON.parse(body.payload)),
    });
  }
  return objects;
}

beforeAll(async () => {
  ({ emulators, clients } = await startTestEmulators({ kinesis: true, s3: true }));
  await clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterEach(async () => {
  await runner?.stop();
});

afterAll(async () => {
  await emulators?.stop();
});

describe('EventSourceMappingRunner', () => {
  it('invokes the handler with the Lambda Kinesis event shape', async () => {
    // Prepare
    const stream = await streamWith(['a']);
    const seen: KinesisStreamEvent[] = [];
    // Act
    await runUntil(
      stream,
      async (event) => {
        seen.push(event);
      },
      () => seen.length > 0,
    );
    // Assess
    const record = seen[0]?.Records[0];
    expect(record).toMatchObject({
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventName: 'aws:kinesis:record',
      awsRegion: 'us-east-1',
      eventSourceARN: `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}`,
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'k',
        data: Buffer.from('a').toString('base64'),
      },
    });
    expect(record?.eventID).toBe(`shardId-000000000000:${record?.kinesis.sequenceNumber}`);
    expect(typeof record?.kinesis.approximateArrivalTimestamp).toBe('number');
  });

  it('invokes as soon as the batch payload is full, without waiting out the batching window', async () => {
    // Prepare: 8 records of 900 KB (base64 1.2 MB each): five fill Lambda's 6 MB payload.
    const big = Array.from({ length: 8 }, (_, i) => `${i}`.padEnd(900_000, 'x'));
    const stream = await streamWith(big);
    const invokedAt: number[] = [];
    const sizes: number[] = [];
    const started = Date.now();
    // Act: a 60 s window and a batch size of 10,000 records would hold everything back.
    await runUntil(
      stream,
      async (event) => {
        invokedAt.push(Date.now() - started);
        sizes.push(event.Records.length);
        return { batchItemFailures: [] };
      },
      () => invokedAt.length > 0,
      { batchSize: 10_000, maxBatchingWindowMs: 60_000 },
    );
    // Assess
    expect(invokedAt[0]).toBeLessThan(15_000);
    expect(sizes[0]).toBeGreaterThan(1);
    expect(sizes[0]).toBeLessThan(big.length);
  });

  it('waits out the batching window when traffic is light, then invokes with what it has', async () => {
    // Prepare: three small records, far from the batch size and from 6 MB.
    const stream = await streamWith(['a', 'b', 'c']);
    const invokedAt: number[] = [];
    const sizes: number[] = [];
    const started = Date.now();
    // Act
    await runUntil(
      stream,
      async (event) => {
        invokedAt.push(Date.now() - started);
        sizes.push(event.Records.length);
        return { batchItemFailures: [] };
      },
      () => invokedAt.length > 0,
      { batchSize: 100, maxBatchingWindowMs: 2_000 },
    );
    // Assess: one invocation with all three, not before the window has passed.
    expect(invokedAt[0]).toBeGreaterThanOrEqual(1_900);
    expect(sizes[0]).toBe(3);
  });

  it('replays from the lowest reported failure when the handler reports batch item failures', async () => {
    // Prepare
    const stream = await streamWith(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
    const invocations: string[][] = [];
    const handler: KinesisHandler = async (event): Promise<KinesisStreamBatchResponse> => {
      invocations.push(payloadsOf(event));
      if (invocations.length > 1) return { batchItemFailures: [] };
      // Report r4 and r2: Lambda resumes from the lowest, r2.
      const failed = [4, 2].map((i) => ({
        itemIdentifier: event.Records[i]?.kinesis.sequenceNumber as string,
      }));
      return { batchItemFailures: failed };
    };
    // Act
    await runUntil(stream, handler, () => invocations.length >= 2);
    // Assess
    expect(invocations[0]).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
    expect(invocations[1]).toEqual(['r2', 'r3', 'r4', 'r5']);
  });

  it('isolates a record whose processing throws when bisect on error is on', async () => {
    // Prepare
    const stream = await streamWith(['g0', 'g1', 'g2', 'poison', 'g4', 'g5', 'g6', 'g7']);
    const processed: string[] = [];
    const handler: KinesisHandler = async (event) => {
      const payloads = payloadsOf(event);
      if (payloads.includes('poison')) throw new Error('cannot process poison');
      processed.push(...payloads);
    };
    // Act
    await runUntil(stream, handler, () => processed.length >= 7, {
      bisectBatchOnError: true,
      maxRetryAttempts: 1,
    });
    const failures = await onFailureObjects(`${stream}/`);
    // Assess
    expect(processed.sort()).toEqual(['g0', 'g1', 'g2', 'g4', 'g5', 'g6', 'g7']);
    expect(failures).toEqual([{ condition: 'RetryAttemptsExhausted', payloads: ['poison'] }]);
  });

  it('sends the batch to the on-failure destination after maximum retries and moves on', async () => {
    // Prepare
    const stream = await streamWith(['bad', 'after-1', 'after-2']);
    let badAttempts = 0;
    const processed: string[] = [];
    const handler: KinesisHandler = async (event) => {
      const payloads = payloadsOf(event);
      if (payloads.includes('bad')) {
        badAttempts++;
        throw new Error('always fails');
      }
      processed.push(...payloads);
    };
    // Act
    await runUntil(stream, handler, () => processed.length >= 2, {
      batchSize: 1,
      maxRetryAttempts: 2,
    });
    const failures = await onFailureObjects(`${stream}/`);
    // Assess
    expect(badAttempts).toBe(3); // the first attempt and two retries
    expect(failures).toEqual([{ condition: 'RetryAttemptsExhausted', payloads: ['bad'] }]);
    expect(processed).toEqual(['after-1', 'after-2']);
  });

  it('fails the whole batch when a reported identifier is not in the batch', async () => {
    // Prepare
    const stream = await streamWith(['x0', 'x1']);
    const invocations: string[][] = [];
    const handler: KinesisHandler = async (event) => {
      invocations.push(payloadsOf(event));
      return invocations.length === 1
        ? { batchItemFailures: [{ itemIdentifier: 'not-a-sequence-number' }] }
        : undefined;
    };
    // Act
    await runUntil(stream, handler, () => invocations.length >= 2);
    // Assess
    expect(invocations[1]).toEqual(['x0', 'x1']);
  });
});
