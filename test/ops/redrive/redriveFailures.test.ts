import { Logger } from '@aws-lambda-powertools/logger';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregationSettingsOf } from '../../../core/aggregates/compileMetrics.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import { aggregateDependencies } from '../../../functions/aggregate/aggregateDependencies.js';
import { DynamoShardLedger } from '../../../functions/aggregate/DynamoShardLedger.js';
import type { AwsClients } from '../../../local/awsClients.js';
import type { RunningEmulators } from '../../../local/emulators/startEmulators.js';
import { EventSourceMappingRunner } from '../../../local/eventSourceMapping/EventSourceMappingRunner.js';
import { CheckpointStore } from '../../../local/kinesis/CheckpointStore.js';
import { createAggregatesTable } from '../../../local/provisionResources.js';
import { parseRedriveArgs } from '../../../ops/redrive/parseRedriveArgs.js';
import {
  markerKey,
  type RedriveMarker,
  type RedriveOptions,
  redriveFailures,
} from '../../../ops/redrive/redriveFailures.js';
import { runRedriveCommand } from '../../../ops/redrive/runRedriveCommand.js';
import { sampleEvent } from '../../helpers/events.js';
import { createActiveStream } from '../../helpers/readStreamEvents.js';
import { startTestEmulators } from '../../helpers/testEmulators.js';
import { expectedAggregates, expectMatchesGroundTruth } from '../../local/groundTruth.js';
import { readAggregates } from '../../local/readAggregates.js';

const BUCKET = 'redrive-test';
const MARKERS = 'redriven/';
const config = loadConfig();

let emulators: RunningEmulators;
let clients: AwsClients;
let counter = 0;

/** One purchase per record, then a record holding a good event and a bad line. */
function failingRecords(tag: string): {
  records: { partitionKey: string; data: Buffer }[];
  good: StreamfoldEvent[];
} {
  const good: StreamfoldEvent[] = [];
  const records: { partitionKey: string; data: Buffer }[] = [];
  for (let i = 0; i < 6; i++) {
    const event = sampleEvent('purchase', {
      data: { amount: 10 + i * 1.25, country: i % 2 === 0 ? 'DE' : 'FR' },
    });
    good.push(event);
    records.push({ partitionKey: `${tag}-${i}`, data: Buffer.from(`${JSON.stringify(event)}\n`) });
  }
  const last = sampleEvent('page_view');
  good.push(last);
  records.push({
    partitionKey: `${tag}-bad`,
    data: Buffer.from(`${JSON.stringify(last)}\n{"id":"${tag}-broken","type":"purchase"\n`),
  });
  return { records, good };
}

/**
 * Produces on-failure objects with the real local event source mapping: a
 * one-shard stream holding `records`, a handler that always throws, no
 * retries, `batchSize` records a batch. Returns the prefix of the objects.
 */
async function onFailureObjectsFor(
  records: { partitionKey: string; data: Buffer }[],
  batchSize = 100,
): Promise<{ source: string; prefix: string }> {
  const source = `redrive-src-${++counter}`;
  const prefix = `aws/lambda/${source}/`;
  await createActiveStream(clients.kinesis, source);
  for (const record of records) {
    await clients.kinesis.send(
      new PutRecordCommand({
        StreamName: source,
        PartitionKey: record.partitionKey,
        Data: record.data,
      }),
    );
  }
  let discarded = 0;
  const runner = new EventSourceMappingRunner({
    kinesis: clients.kinesis,
    s3: clients.s3,
    streamName: source,
    region: 'us-east-1',
    functionName: 'test-function',
    settings: {
      batchSize,
      maxBatchingWindowMs: 100,
      bisectBatchOnError: false,
      maxRetryAttempts: 0,
      maxRecordAgeMs: 3_600_000,
      startingPosition: 'TRIM_HORIZON',
      timeoutMs: 5_000,
    },
    handler: async () => {
      throw new Error('downstream unavailable');
    },
    checkpoints: new CheckpointStore(),
    onFailure: { bucket: BUCKET, prefix },
    onInvoke: (outcome) => {
      if (outcome.result === 'sent-to-on-failure') discarded += outcome.records;
    },
  });
  await runner.start();
  const deadline = Date.now() + 10_000;
  while (discarded < records.length) {
    if (Date.now() > deadline) throw new Error(`only ${discarded} records discarded within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await runner.stop();
  return { source, prefix };
}

async function keysUnder(prefix: string): Promise<string[]> {
  const listing = await clients.s3.send(
    new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }),
  );
  return (listing.Contents ?? []).map((o) => o.Key as string).sort();
}

async function readText(key: string): Promise<string> {
  const object = await clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return (await object.Body?.transformToString('utf8')) ?? '';
}

async function newTable(): Promise<string> {
  const name = `redrive-aggregates-${++counter}`;
  await createAggregatesTable(clients.dynamodb, name);
  return name;
}

function options(
  prefix: string,
  tableName: string,
  extra: Partial<RedriveOptions> = {},
): RedriveOptions {
  return {
    s3: clients.s3,
    kinesis: clients.kinesis,
    bucket: BUCKET,
    prefix,
    aggregation: aggregateDependencies({
      catalog: webShopCatalog,
      dynamodb: clients.dynamodb,
      s3: clients.s3,
      tableName,
      rejectsBucketName: BUCKET,
      rejectsPrefix: `rejects/${tableName}/`,
      settings: aggregationSettingsOf(config),
      logger: new Logger({ logLevel: 'SILENT' }),
    }),
    ledger: new DynamoShardLedger(clients.dynamodb, tableName),
    markerPrefix: MARKERS,
    ...extra,
  };
}

beforeAll(async () => {
  ({ emulators, clients } = await startTestEmulators({ kinesis: true, s3: true, dynamodb: true }));
  await clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  clients?.kinesis.destroy();
  clients?.s3.destroy();
  clients?.dynamodb.destroy();
  await emulators?.stop();
});

describe('redriveFailures', () => {
  it('counts the given-up records in the aggregates, rejects the bad line, and writes a marker', async () => {
    // Prepare
    const { records, good } = failingRecords('first');
    const { prefix } = await onFailureObjectsFor(records);
    const table = await newTable();
    const [objectKey] = await keysUnder(prefix);
    // Act
    const summary = await redriveFailures(options(prefix, table));
    // Assess
    expectMatchesGroundTruth(
      await readAggregates(clients.dynamodb, table),
      expectedAggregates(config, good),
    );
    expect(summary).toMatchObject({ redriven: 1, failed: 0, records: records.length });
    expect(summary.objects[0]).toMatchObject({
      key: objectKey,
      status: 'redriven',
      source: 'payload',
      eventsFolded: good.length,
      eventsRejected: 1,
    });
    const marker = JSON.parse(
      await readText(markerKey(MARKERS, objectKey as string)),
    ) as RedriveMarker;
    expect(marker).toMatchObject({ records: records.length, shardId: 'shardId-000000000000' });
    const rejects = await keysUnder(`rejects/${table}/`);
    expect(rejects).toHaveLength(1);
    expect(await readText(rejects[0] as string)).toContain('first-broken');
  });

  it('adds nothing on a second run, nor on a run after one that stopped before its marker', async () => {
    // Prepare
    const { records, good } = failingRecords('twice');
    const { prefix } = await onFailureObjectsFor(records, 3);
    const table = await newTable();
    const keys = await keysUnder(prefix);
    expect(keys.length).toBeGreaterThan(1);
    await redriveFailures(options(prefix, table));
    // Act: a second run, then one that finds no markers (as if the first had stopped before writing them)
    const second = await redriveFailures(options(prefix, table));
    const third = await redriveFailures(options(prefix, table, { markerPrefix: 'other-markers/' }));
    // Assess
    expect(second).toMatchObject({ redriven: 0, alreadyRedriven: keys.length, records: 0 });
    expect(third).toMatchObject({ redriven: keys.length, failed: 0 });
    expect(third.objects.every((o) => o.itemsApplied === 0)).toBe(true);
    expectMatchesGroundTruth(
      await readAggregates(clients.dynamodb, table),
      expectedAggregates(config, good),
    );
  });

  it('lists what would be redriven with --dry-run, and applies nothing and writes no marker', async () => {
    // Prepare
    const { records } = failingRecords('dry');
    const { prefix } = await onFailureObjectsFor(records);
    const table = await newTable();
    // Act
    const summary = await redriveFailures(options(prefix, table, { dryRun: true }));
    // Assess
    expect(summary).toMatchObject({
      wouldRedrive: 1,
      redriven: 0,
      records: records.length,
      bytes: records.reduce((sum, r) => sum + r.data.length, 0),
      shards: ['shardId-000000000000'],
    });
    expect((await readAggregates(clients.dynamodb, table)).size).toBe(0);
    expect(await keysUnder(`${MARKERS}${prefix}`)).toEqual([]);
  });

  it('reports a malformed object and skips it without stopping the others', async () => {
    // Prepare
    const { records, good } = failingRecords('mixed');
    const { prefix } = await onFailureObjectsFor(records);
    const [goodKey] = await keysUnder(prefix);
    const object = JSON.parse(await readText(goodKey as string));
    const broken = `${prefix}0-broken`;
    const payload = JSON.parse(object.payload);
    payload.Records[1].kinesis.data = 'not base64!';
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: broken,
        Body: JSON.stringify({ ...object, payload: JSON.stringify(payload) }),
      }),
    );
    await clients.s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}1-not-json`, Body: '{"truncated' }),
    );
    const table = await newTable();
    const out: string[] = [];
    const err: string[] = [];
    // Act
    const { exitCode, summary } = await runRedriveCommand(
      { ...parseRedriveArgs(['--prefix', prefix, '--table', table, '--bucket', BUCKET]) },
      {
        config,
        connect: async (args) => ({
          description: 'emulators',
          s3: clients.s3,
          kinesis: clients.kinesis,
          dynamodb: clients.dynamodb,
          bucket: args.bucket as string,
          prefix: args.prefix as string,
          tableName: args.table as string,
          close: () => undefined,
        }),
        out: { write: (text: string) => out.push(text) },
        err: { write: (text: string) => err.push(text) },
      },
    );
    // Assess
    expect(exitCode).toBe(1);
    expect(summary).toMatchObject({ redriven: 1, failed: 2, records: records.length });
    const failures = summary.objects.filter((o) => o.status === 'failed');
    expect(failures.map((o) => o.key).sort()).toEqual([broken, `${prefix}1-not-json`]);
    expect(failures.find((o) => o.key === broken)?.error).toContain(
      'payload.Records[1].kinesis.data',
    );
    expect(failures.find((o) => o.key !== broken)?.error).toContain('is not JSON');
    expectMatchesGroundTruth(
      await readAggregates(clients.dynamodb, table),
      expectedAggregates(config, good),
    );
    expect(out.join('')).toMatch(/failed: 2/);
    expect(err.join('')).toContain(`${broken}: FAILED, skipped`);
  });

  it('reads the records back from the stream when the object holds only KinesisBatchInfo', async () => {
    // Prepare: the documented metadata-only invocation record (no payload).
    const { records, good } = failingRecords('metadata');
    const { prefix } = await onFailureObjectsFor(records);
    const [key] = await keysUnder(prefix);
    const { payload: _payload, ...metadataOnly } = JSON.parse(await readText(key as string));
    await clients.s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: JSON.stringify(metadataOnly) }),
    );
    const table = await newTable();
    // Act
    const summary = await redriveFailures(options(prefix, table));
    // Assess
    expect(summary.objects[0]).toMatchObject({
      status: 'redriven',
      source: 'stream',
      records: records.length,
    });
    expectMatchesGroundTruth(
      await readAggregates(clients.dynamodb, table),
      expectedAggregates(config, good),
    );
  });

  it('leaves out objects outside --since / --until', async () => {
    // Prepare
    const { records } = failingRecords('window');
    const { prefix } = await onFailureObjectsFor(records);
    const table = await newTable();
    // Act
    const summary = await redriveFailures(
      options(prefix, table, { since: new Date(Date.now() + 3_600_000) }),
    );
    // Assess
    expect(summary).toMatchObject({ outsideWindow: 1, redriven: 0, records: 0 });
    expect((await readAggregates(clients.dynamodb, table)).size).toBe(0);
  });

  it('holds back later objects of a shard while an earlier one is outside --since / --until', async () => {
    // Prepare: three objects of one shard; the window leaves out the first.
    const { records } = failingRecords('order');
    const { prefix } = await onFailureObjectsFor(records, 3);
    const keys = await keysUnder(prefix);
    const starts = await Promise.all(
      keys.map(async (key) => {
        const info = JSON.parse(await readText(key)).KinesisBatchInfo;
        return { key, start: BigInt(info.startSequenceNumber) };
      }),
    );
    const first = starts.sort((a, b) => (a.start < b.start ? -1 : 1))[0]?.key as string;
    // Re-written later, so its LastModified is after the others; it still holds the first records.
    // s3rver stamps whole seconds: a second on each side of the cutoff keeps them apart.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const cutoff = new Date();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await clients.s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: first, Body: await readText(first) }),
    );
    const table = await newTable();
    // Act
    const summary = await redriveFailures(options(prefix, table, { until: cutoff }));
    // Assess
    expect(summary.redriven).toBe(0);
    expect(summary.failed).toBe(keys.length - 1);
    expect(summary.objects[0]?.error).toContain(`waits for ${first}`);
    expect((await readAggregates(clients.dynamodb, table)).size).toBe(0);
  });
});
