import { Logger } from '@aws-lambda-powertools/logger';
import {
  type _Record,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  PutRecordCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { aggregationSettingsOf } from '../../core/aggregates/compileMetrics.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { webShopCatalog } from '../../examples/web-shop/catalog.js';
import { aggregateDependencies } from '../../functions/aggregate/aggregateDependencies.js';
import { DynamoShardLedger } from '../../functions/aggregate/DynamoShardLedger.js';
import type { AwsClients } from '../../local/awsClients.js';
import type { RunningEmulators } from '../../local/emulators/startEmulators.js';
import {
  EventSourceMappingRunner,
  type EventSourceMappingRunnerOptions,
  type EventSourceMappingSettings,
  type KinesisHandler,
  LAMBDA_POLL_INTERVAL_MS,
} from '../../local/eventSourceMapping/EventSourceMappingRunner.js';
import { CheckpointStore } from '../../local/kinesis/CheckpointStore.js';
import { createAggregatesTable } from '../../local/provisionResources.js';
import { redriveFailures } from '../../ops/redrive/redriveFailures.js';
import { sampleEvent } from '../helpers/events.js';
import { createActiveStream } from '../helpers/readStreamEvents.js';
import { startTestEmulators } from '../helpers/testEmulators.js';
import { expectedAggregates, expectMatchesGroundTruth } from './groundTruth.js';
import { readAggregates } from './readAggregates.js';

/**
 * The invocation record Lambda documents for a Kinesis event source
 * ("Example invocation record", https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html,
 * and "Retain discarded batch records for a Kinesis Data Streams event source",
 * https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html), copied as
 * published. For an Amazon S3 destination, "Lambda also sends the entire invocation record
 * along with the metadata": the `payload` field.
 */
const DOCUMENTED_RECORD = {
  requestContext: {
    requestId: 'c9b8fa9f-5a7f-xmpl-af9c-0c604cde93a5',
    functionArn: 'arn:aws:lambda:us-east-2:123456789012:function:myfunction',
    condition: 'RetryAttemptsExhausted',
    approximateInvokeCount: 1,
  },
  responseContext: {
    statusCode: 200,
    executedVersion: '$LATEST',
    functionError: 'Unhandled',
  },
  version: '1.0',
  timestamp: '2019-11-14T00:38:06.021Z',
  KinesisBatchInfo: {
    shardId: 'shardId-000000000001',
    startSequenceNumber: '49601189658422359378836298521827638475320189012309704722',
    endSequenceNumber: '49601189658422359378836298522902373528957594348623495186',
    approximateArrivalOfFirstRecord: '2019-11-14T00:38:04.835Z',
    approximateArrivalOfLastRecord: '2019-11-14T00:38:05.580Z',
    batchSize: 500,
    streamArn: 'arn:aws:kinesis:us-east-2:123456789012:stream/mystream',
  },
};

/** The documented example's formats, account and region aside. */
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FUNCTION_ARN = /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+$/;
const STREAM_ARN = /^arn:aws:kinesis:[a-z0-9-]+:\d{12}:stream\/[A-Za-z0-9_.-]+$/;

const BUCKET = 'on-failure-format';
const REGION = 'us-east-1';
const SETTINGS: EventSourceMappingSettings = {
  batchSize: 10,
  maxBatchingWindowMs: 0,
  bisectBatchOnError: false,
  maxRetryAttempts: 2,
  maxRecordAgeMs: 3_600_000,
  startingPosition: 'TRIM_HORIZON',
  timeoutMs: 5_000,
};
const config = loadConfig();

let emulators: RunningEmulators;
let clients: AwsClients;
let counter = 0;
let runner: EventSourceMappingRunner | undefined;

interface OnFailureBody {
  requestContext: Record<string, unknown>;
  responseContext?: Record<string, unknown>;
  version: string;
  timestamp: string;
  KinesisBatchInfo: Record<string, unknown>;
  payload: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const payloadsOf = (event: KinesisStreamEvent) =>
  event.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString('utf8'));

/** A new one-shard stream holding `payloads`, in order; returns its name and its records. */
async function streamWith(payloads: string[]): Promise<{ stream: string; records: _Record[] }> {
  const stream = `on-failure-format-${++counter}`;
  await createActiveStream(clients.kinesis, stream);
  for (const payload of payloads) {
    await clients.kinesis.send(
      new PutRecordCommand({ StreamName: stream, PartitionKey: 'k', Data: Buffer.from(payload) }),
    );
  }
  return { stream, records: await recordsOf(stream) };
}

async function recordsOf(stream: string): Promise<_Record[]> {
  const { ShardIterator } = await clients.kinesis.send(
    new GetShardIteratorCommand({
      StreamName: stream,
      ShardId: 'shardId-000000000000',
      ShardIteratorType: 'TRIM_HORIZON',
    }),
  );
  return (await clients.kinesis.send(new GetRecordsCommand({ ShardIterator }))).Records ?? [];
}

function runnerOf(
  stream: string,
  handler: KinesisHandler,
  settings: Partial<EventSourceMappingSettings> = {},
  extra: Partial<EventSourceMappingRunnerOptions> = {},
): EventSourceMappingRunner {
  return new EventSourceMappingRunner({
    kinesis: clients.kinesis,
    s3: clients.s3,
    streamName: stream,
    region: REGION,
    functionName: 'test-function',
    settings: { ...SETTINGS, ...settings },
    handler,
    checkpoints: new CheckpointStore(),
    onFailure: { bucket: BUCKET, prefix: `aws/lambda/${stream}/` },
    idlePollIntervalMs: 100,
    ...extra,
  });
}

/** Runs the mapping until `done()` holds, then stops it. */
async function runUntil(started: EventSourceMappingRunner, done: () => boolean): Promise<void> {
  runner = started;
  await started.start();
  const deadline = Date.now() + 20_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('condition not reached within 20 s');
    await sleep(25);
  }
  await started.stop();
  runner = undefined;
}

async function onFailureBodies(stream: string): Promise<OnFailureBody[]> {
  const listing = await clients.s3.send(
    new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `aws/lambda/${stream}/` }),
  );
  const bodies: OnFailureBody[] = [];
  for (const entry of listing.Contents ?? []) {
    const object = await clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: entry.Key }));
    bodies.push(JSON.parse((await object.Body?.transformToString('utf8')) ?? ''));
  }
  return bodies;
}

/** Asserts every field the documented example has, in its order, with its formats. */
function expectDocumentedShape(
  body: OnFailureBody,
  records: _Record[],
  stream: string,
  written: { after: number; before: number },
): void {
  const withResponse = body.responseContext !== undefined;
  expect(Object.keys(body)).toEqual(
    [...Object.keys(DOCUMENTED_RECORD), 'payload'].filter(
      (key) => withResponse || key !== 'responseContext',
    ),
  );
  expect(Object.keys(body.requestContext)).toEqual(Object.keys(DOCUMENTED_RECORD.requestContext));
  expect(body.requestContext.requestId).toMatch(UUID);
  expect(body.requestContext.functionArn).toMatch(FUNCTION_ARN);
  expect(body.requestContext.functionArn).toBe(
    `arn:aws:lambda:${REGION}:000000000000:function:test-function`,
  );
  expect(body.version).toBe(DOCUMENTED_RECORD.version);
  expect(body.timestamp).toMatch(ISO_MS);
  expect(Date.parse(body.timestamp)).toBeGreaterThanOrEqual(written.after);
  expect(Date.parse(body.timestamp)).toBeLessThanOrEqual(written.before);
  expect(Object.keys(body.KinesisBatchInfo)).toEqual(
    Object.keys(DOCUMENTED_RECORD.KinesisBatchInfo),
  );
  const first = records[0] as _Record;
  const last = records.at(-1) as _Record;
  expect(body.KinesisBatchInfo).toEqual({
    shardId: 'shardId-000000000000',
    startSequenceNumber: first.SequenceNumber,
    endSequenceNumber: last.SequenceNumber,
    approximateArrivalOfFirstRecord: first.ApproximateArrivalTimestamp?.toISOString(),
    approximateArrivalOfLastRecord: last.ApproximateArrivalTimestamp?.toISOString(),
    batchSize: records.length,
    streamArn: `arn:aws:kinesis:${REGION}:000000000000:stream/${stream}`,
  });
  expect(body.KinesisBatchInfo.shardId).toMatch(/^shardId-\d{12}$/);
  expect(body.KinesisBatchInfo.approximateArrivalOfFirstRecord).toMatch(ISO_MS);
  expect(body.KinesisBatchInfo.streamArn).toMatch(STREAM_ARN);
  const payload = JSON.parse(body.payload) as KinesisStreamEvent;
  expect(payload.Records.map((r) => r.kinesis.sequenceNumber)).toEqual(
    records.map((r) => r.SequenceNumber),
  );
}

beforeAll(async () => {
  ({ emulators, clients } = await startTestEmulators({ kinesis: true, s3: true, dynamodb: true }));
  await clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterEach(async () => {
  await runner?.stop();
  runner = undefined;
});

afterAll(async () => {
  await emulators?.stop();
});

describe('on-failure records of the local event source mapping', () => {
  it('writes RetryAttemptsExhausted with every documented field and one invocation per attempt', async () => {
    // Prepare: a batch the function always fails, tried once and retried twice.
    const { stream, records } = await streamWith(['bad-0', 'bad-1', 'bad-2']);
    let invocations = 0;
    const handler: KinesisHandler = async () => {
      invocations++;
      throw new Error('always fails');
    };
    const after = Date.now();

    // Act
    await runUntil(
      runnerOf(stream, handler, { maxRetryAttempts: 2 }),
      () => runner?.progress()[0]?.checkpoint === records.at(-1)?.SequenceNumber,
    );
    const bodies = await onFailureBodies(stream);

    // Assess
    expect(bodies).toHaveLength(1);
    const body = bodies[0] as OnFailureBody;
    expectDocumentedShape(body, records, stream, { after, before: Date.now() });
    expect(body.requestContext.condition).toBe('RetryAttemptsExhausted');
    // The first attempt and the two retries; the count was one too high before.
    expect(invocations).toBe(3);
    expect(body.requestContext.approximateInvokeCount).toBe(3);
    expect(body.responseContext).toEqual(DOCUMENTED_RECORD.responseContext);
  });

  it('counts the invocations of the split batches that held a record isolated by bisection', async () => {
    // Prepare
    const { stream, records } = await streamWith(['g0', 'g1', 'poison', 'g3']);
    const held: number[] = [];
    let processed = 0;
    const handler: KinesisHandler = async (event) => {
      const payloads = payloadsOf(event);
      if (payloads.includes('poison')) {
        held.push(payloads.length);
        throw new Error('cannot process poison');
      }
      processed += payloads.length;
    };

    // Act
    await runUntil(
      runnerOf(stream, handler, { bisectBatchOnError: true, maxRetryAttempts: 1 }),
      () => processed === 3 && runner?.progress()[0]?.checkpoint === records.at(-1)?.SequenceNumber,
    );
    const bodies = await onFailureBodies(stream);

    // Assess: [g0 g1 poison g3] fails, [g0 g1] passes, [poison g3] fails, [poison] fails twice.
    expect(held).toEqual([4, 2, 1, 1]);
    expect(bodies.map((b) => b.requestContext.approximateInvokeCount)).toEqual([held.length]);
    expect(bodies[0]?.KinesisBatchInfo.batchSize).toBe(1);
  });

  it('writes RecordAgeExceeded without a response for records the function never saw', async () => {
    // Prepare: records already older than maxRecordAge when the mapping starts.
    const { stream, records } = await streamWith(['old-0', 'old-1']);
    await sleep(1_100);
    let invocations = 0;
    const handler: KinesisHandler = async () => {
      invocations++;
      return undefined;
    };
    const after = Date.now();

    // Act
    await runUntil(
      runnerOf(stream, handler, { maxRecordAgeMs: 1_000 }),
      () => runner?.progress()[0]?.checkpoint === records.at(-1)?.SequenceNumber,
    );
    const bodies = await onFailureBodies(stream);

    // Assess: the function never ran, so no invocation is counted and no response described.
    expect(invocations).toBe(0);
    expect(bodies).toHaveLength(1);
    const body = bodies[0] as OnFailureBody;
    expectDocumentedShape(body, records, stream, { after, before: Date.now() });
    expect(body.requestContext.condition).toBe('RecordAgeExceeded');
    expect(body.requestContext.approximateInvokeCount).toBe(0);
    expect(body.responseContext).toBeUndefined();
  });

  it('writes RecordAgeExceeded with the last response for records that expired while retried', async () => {
    // Prepare
    const { stream, records } = await streamWith(['doomed']);
    let invocations = 0;
    const handler: KinesisHandler = async () => {
      invocations++;
      throw new Error('always fails');
    };

    // Act
    await runUntil(
      runnerOf(stream, handler, { maxRetryAttempts: 10_000, maxRecordAgeMs: 3_000 }),
      () => runner?.progress()[0]?.checkpoint === records.at(-1)?.SequenceNumber,
    );
    const bodies = await onFailureBodies(stream);

    // Assess
    expect(invocations).toBeGreaterThan(1);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]?.requestContext.condition).toBe('RecordAgeExceeded');
    expect(bodies[0]?.requestContext.approximateInvokeCount).toBe(invocations);
    expect(bodies[0]?.responseContext).toEqual(DOCUMENTED_RECORD.responseContext);
  });

  it('reports no function error for records whose retries a partial batch response used up', async () => {
    // Prepare: the function answers, naming the record as failed every time.
    const { stream, records } = await streamWith(['ok', 'refused']);
    let invocations = 0;
    const handler: KinesisHandler = async (event) => {
      invocations++;
      const refused = event.Records.find((r) => payloadsOf({ Records: [r] })[0] === 'refused');
      return { batchItemFailures: [{ itemIdentifier: refused?.kinesis.sequenceNumber ?? '' }] };
    };

    // Act
    await runUntil(
      runnerOf(stream, handler, { maxRetryAttempts: 1 }),
      () => runner?.progress()[0]?.checkpoint === records.at(-1)?.SequenceNumber,
    );
    const bodies = await onFailureBodies(stream);

    // Assess
    expect(invocations).toBe(2);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]?.requestContext.approximateInvokeCount).toBe(2);
    expect(bodies[0]?.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST' });
  });
});

describe('invocation context of the local event source mapping', () => {
  it.each([
    { memorySizeMb: 1_024, expected: '1024' },
    { memorySizeMb: undefined, expected: '128' },
  ])(
    'tells memoryLimitInMB $expected for memorySizeMb $memorySizeMb',
    async ({ memorySizeMb, expected }) => {
      // "memoryLimitInMB – The amount of memory that's allocated for the function."
      // (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html); the stack allocates
      // aggregation.memorySize, and Lambda's default is 128 MB.
      // Prepare
      const { stream } = await streamWith(['one']);
      const contexts: Context[] = [];
      const handler: KinesisHandler = async (_event, context) => {
        contexts.push(context);
        return undefined;
      };

      // Act
      await runUntil(
        runnerOf(stream, handler, {}, memorySizeMb === undefined ? {} : { memorySizeMb }),
        () => contexts.length > 0,
      );

      // Assess
      expect(contexts[0]?.memoryLimitInMB).toBe(expected);
    },
  );
});

describe('polling of the local event source mapping', () => {
  it('polls an idle shard once a second by default and reads on at once while records come', async () => {
    // "Lambda polls each shard in your Kinesis stream for records at a base rate of once per
    // second. When more records are available, Lambda keeps processing batches until the function
    // catches up with the stream." (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html)
    // Prepare: a client that notes when each GetRecords is sent.
    const { stream } = await streamWith([]);
    const reads: number[] = [];
    const kinesis = {
      send: (command: object) => {
        if (command instanceof GetRecordsCommand) reads.push(performance.now());
        return clients.kinesis.send(command as never);
      },
    } as unknown as KinesisClient;
    const invoked: number[] = [];
    const invokedAt: number[] = [];
    const handler: KinesisHandler = async (event) => {
      invoked.push(event.Records.length);
      invokedAt.push(performance.now());
      return undefined;
    };
    // No idlePollIntervalMs: the default `streamfold start` runs with.
    runner = new EventSourceMappingRunner({
      kinesis,
      s3: clients.s3,
      streamName: stream,
      region: REGION,
      functionName: 'test-function',
      settings: { ...SETTINGS, batchSize: 10 },
      handler,
      checkpoints: new CheckpointStore(),
      onFailure: { bucket: BUCKET, prefix: `aws/lambda/${stream}/` },
    });

    // Act: 3.5 s idle, then 25 records at once.
    await runner.start();
    await sleep(3_500);
    const idleReads = [...reads];
    // One PutRecords call, so the next poll finds all 25 at once.
    await clients.kinesis.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: Array.from({ length: 25 }, () => ({ PartitionKey: 'k', Data: Buffer.from('x') })),
      }),
    );
    const deadline = Date.now() + 5_000;
    while (invoked.reduce((a, b) => a + b, 0) < 25 && Date.now() < deadline) await sleep(10);
    const readsWhileBusy = reads.length - idleReads.length;
    await runner.stop();
    runner = undefined;

    // Assess: idle reads a second apart (at most 4 in 3.5 s, was 14 at 250 ms); the 25 records in
    // three invocations, read without waiting out a poll interval between them.
    const gaps = idleReads.slice(1).map((at, i) => at - (idleReads[i] as number));
    expect(LAMBDA_POLL_INTERVAL_MS).toBe(1_000);
    expect(idleReads.length).toBeGreaterThanOrEqual(2);
    expect(idleReads.length).toBeLessThanOrEqual(4);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(LAMBDA_POLL_INTERVAL_MS - 5);
    expect(invoked).toEqual([10, 10, 5]);
    expect((invokedAt.at(-1) as number) - (invokedAt[0] as number)).toBeLessThan(
      LAMBDA_POLL_INTERVAL_MS,
    );
    expect(readsWhileBusy).toBeLessThanOrEqual(3);
  });

  it('refuses an idle poll interval that is not a number of milliseconds, naming it', () => {
    // Act
    const create = () =>
      runnerOf('any', async () => undefined, {}, { idlePollIntervalMs: Number.NaN });

    // Assess
    expect(create).toThrow(
      /idlePollIntervalMs must be a number of milliseconds >= 0 \(given NaN\)/,
    );
  });
});

describe('npm run redrive of records the function never saw', () => {
  it('counts a RecordAgeExceeded batch exactly once, run twice', async () => {
    // Prepare: events that expire before the mapping reads them.
    const events: StreamfoldEvent[] = Array.from({ length: 5 }, (_, i) =>
      sampleEvent('purchase', { data: { amount: 10 + i, country: i % 2 === 0 ? 'DE' : 'FR' } }),
    );
    const { stream, records } = await streamWith(
      events.map((event) => `${JSON.stringify(event)}\n`),
    );
    await sleep(1_100);
    await runUntil(
      runnerOf(stream, async () => undefined, { maxRecordAgeMs: 1_000 }),
      () => runner?.progress()[0]?.checkpoint === records.at(-1)?.SequenceNumber,
    );
    const table = `on-failure-format-aggregates-${++counter}`;
    await createAggregatesTable(clients.dynamodb, table);
    const redrive = () =>
      redriveFailures({
        s3: clients.s3,
        kinesis: clients.kinesis,
        bucket: BUCKET,
        prefix: `aws/lambda/${stream}/`,
        aggregation: aggregateDependencies({
          catalog: webShopCatalog,
          dynamodb: clients.dynamodb,
          s3: clients.s3,
          tableName: table,
          rejectsBucketName: BUCKET,
          rejectsPrefix: `rejects/${table}/`,
          settings: aggregationSettingsOf(config),
          logger: new Logger({ logLevel: 'SILENT' }),
        }),
        ledger: new DynamoShardLedger(clients.dynamodb, table),
        markerPrefix: `redriven/${table}/`,
      });

    // Act
    const first = await redrive();
    const second = await redrive();

    // Assess
    expect((await onFailureBodies(stream)).map((b) => b.requestContext)).toEqual([
      expect.objectContaining({ condition: 'RecordAgeExceeded', approximateInvokeCount: 0 }),
    ]);
    expect(first).toMatchObject({ redriven: 1, failed: 0, records: events.length });
    expect(second).toMatchObject({ redriven: 0, alreadyRedriven: 1 });
    expectMatchesGroundTruth(
      await readAggregates(clients.dynamodb, table),
      expectedAggregates(config, events),
    );
  });
});
