import {
  type KinesisClient,
  ListShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  type PutRecordsCommandOutput,
  type PutRecordsResultEntry,
} from '@aws-sdk/client-kinesis';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../local/awsClients.js';
import type { RunningEmulators } from '../../../local/emulators/startEmulators.js';
import { EventSourceMappingRunner } from '../../../local/eventSourceMapping/EventSourceMappingRunner.js';
import { CheckpointStore } from '../../../local/kinesis/CheckpointStore.js';
import { ShardReader } from '../../../local/kinesis/ShardReader.js';
import { parseRedriveArgs } from '../../../ops/redrive/parseRedriveArgs.js';
import {
  markerKey,
  type RedriveMarker,
  type RedriveOptions,
  redriveFailures,
} from '../../../ops/redrive/redriveFailures.js';
import { runRedriveCommand } from '../../../ops/redrive/runRedriveCommand.js';
import { createActiveStream } from '../../helpers/readStreamEvents.js';
import { THROTTLED } from '../../helpers/ScriptedKinesis.js';
import { startTestEmulators } from '../../helpers/testEmulators.js';

const BUCKET = 'redrive-test';
const MARKERS = 'redriven/';

let emulators: RunningEmulators;
let clients: AwsClients;
let counter = 0;

/** A record as put: partition key and bytes, hex so that comparisons show the bytes. */
interface PutRecord {
  partitionKey: string;
  hex: string;
}

/**
 * Records of mixed kinds: NDJSON lines, and bytes that are not UTF-8 (a KPL
 * magic header and raw binary), so any re-encoding would show.
 */
function failingRecords(tag: string): { partitionKey: string; data: Buffer }[] {
  return [
    { partitionKey: `${tag}-a`, data: Buffer.from(`{"id":"${tag}-1","type":"page_view"}\n`) },
    {
      partitionKey: `${tag}-b`,
      data: Buffer.from([0xf3, 0x89, 0x9a, 0xc2, 0x0a, 0x00, 0xff, 0xfe]),
    },
    { partitionKey: `${tag}-c`, data: Buffer.from(`{"id":"${tag}-2"}\n{"id":"${tag}-3"}\n`) },
    { partitionKey: `${tag}-a`, data: Buffer.from([0x80, 0x81, 0xc3, 0x28]) },
  ];
}

/**
 * Produces on-failure objects with the real local event source mapping: a
 * one-shard stream holding `records`, a handler that always throws, no retries.
 * Returns the source stream name and the prefix the objects were written under.
 */
async function onFailureObjectsFor(
  records: { partitionKey: string; data: Buffer }[],
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
      batchSize: 100,
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

/** Every record of every shard of `streamName`, with its position. */
async function readStream(
  streamName: string,
): Promise<(PutRecord & { shardId: string; sequenceNumber: string })[]> {
  const shards = await clients.kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const records = [];
  for (const shard of shards.Shards ?? []) {
    const shardId = shard.ShardId as string;
    const reader = new ShardReader(clients.kinesis, streamName, shardId, {
      position: 'TRIM_HORIZON',
    });
    for (;;) {
      const read = await reader.read(10_000);
      for (const r of read.records) {
        records.push({
          partitionKey: r.PartitionKey as string,
          hex: Buffer.from(r.Data as Uint8Array).toString('hex'),
          shardId,
          sequenceNumber: r.SequenceNumber as string,
        });
      }
      if (read.records.length === 0 && read.millisBehindLatest === 0) break;
    }
  }
  return records;
}

async function newTarget(): Promise<string> {
  const name = `redrive-dst-${++counter}`;
  await createActiveStream(clients.kinesis, name, 2);
  return name;
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

const asPut = (records: { partitionKey: string; data: Buffer }[]): PutRecord[] =>
  records.map((r) => ({ partitionKey: r.partitionKey, hex: r.data.toString('hex') }));
const bare = (records: PutRecord[]): PutRecord[] =>
  records.map(({ partitionKey, hex }) => ({ partitionKey, hex })).sort(byKeyAndBytes);
function byKeyAndBytes(a: PutRecord, b: PutRecord): number {
  return `${a.partitionKey}|${a.hex}`.localeCompare(`${b.partitionKey}|${b.hex}`);
}

function options(
  prefix: string,
  streamName: string,
  extra: Partial<RedriveOptions> = {},
): RedriveOptions {
  return {
    s3: clients.s3,
    kinesis: clients.kinesis,
    bucket: BUCKET,
    prefix,
    streamName,
    markerPrefix: MARKERS,
    retry: { baseBackoffMs: 1, maxBackoffMs: 5 },
    ...extra,
  };
}

beforeAll(async () => {
  ({ emulators, clients } = await startTestEmulators({ kinesis: true, s3: true }));
  await clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  clients?.kinesis.destroy();
  clients?.s3.destroy();
  await emulators?.stop();
});

describe('redriveFailures', () => {
  it('puts exactly the failed records back, byte-identical with their partition keys, and writes a marker', async () => {
    // Prepare
    const failed = failingRecords('first');
    const { prefix } = await onFailureObjectsFor(failed);
    const target = await newTarget();
    const [objectKey] = await keysUnder(prefix);
    // Act
    const summary = await redriveFailures(options(prefix, target));
    // Assess
    const landed = await readStream(target);
    expect(bare(landed)).toEqual(bare(asPut(failed)));
    expect(summary).toMatchObject({ redriven: 1, failed: 0, records: failed.length });
    expect(summary.bytes).toBe(failed.reduce((sum, r) => sum + r.data.length, 0));
    expect(summary.objects[0]).toMatchObject({
      key: objectKey,
      status: 'redriven',
      source: 'payload',
    });
    const marker = JSON.parse(
      await readText(markerKey(MARKERS, objectKey as string)),
    ) as RedriveMarker;
    expect(marker.records).toBe(failed.length);
    expect(marker.positions.map((p) => p.to.sequenceNumber).sort()).toEqual(
      landed.map((r) => r.sequenceNumber).sort(),
    );
  });

  it('puts nothing on a second run and reports the objects as already redriven', async () => {
    // Prepare
    const failed = failingRecords('twice');
    const { prefix } = await onFailureObjectsFor(failed);
    const target = await newTarget();
    await redriveFailures(options(prefix, target));
    // Act
    const second = await redriveFailures(options(prefix, target));
    // Assess
    expect(second).toMatchObject({ redriven: 0, alreadyRedriven: 1, records: 0 });
    expect(second.objects.map((o) => o.status)).toEqual(['already-redriven']);
    expect(await readStream(target)).toHaveLength(failed.length);
  });

  it('lists what would be redriven with --dry-run, and puts nothing and writes no marker', async () => {
    // Prepare
    const failed = failingRecords('dry');
    const { prefix } = await onFailureObjectsFor(failed);
    const target = await newTarget();
    // Act
    const summary = await redriveFailures(options(prefix, target, { dryRun: true }));
    // Assess
    expect(summary).toMatchObject({
      wouldRedrive: 1,
      redriven: 0,
      records: failed.length,
      bytes: failed.reduce((sum, r) => sum + r.data.length, 0),
      shards: ['shardId-000000000000'],
    });
    expect(await readStream(target)).toEqual([]);
    expect(await keysUnder(`${MARKERS}${prefix}`)).toEqual([]);
  });

  it('re-sends only the entries PutRecords refused, so nothing is duplicated', async () => {
    // Prepare
    const failed = failingRecords('partial');
    const { prefix } = await onFailureObjectsFor(failed);
    const target = await newTarget();
    const calls: number[] = [];
    // The first call accepts the even entries and refuses the odd ones, as a throttled shard does.
    const flaky = {
      send: async (command: unknown) => {
        if (!(command instanceof PutRecordsCommand)) return clients.kinesis.send(command as never);
        const entries = command.input.Records ?? [];
        calls.push(entries.length);
        if (calls.length > 1) return clients.kinesis.send(command);
        const accepted = await clients.kinesis.send(
          new PutRecordsCommand({
            ...command.input,
            Records: entries.filter((_, i) => i % 2 === 0),
          }),
        );
        const results: PutRecordsResultEntry[] = entries.map((_, i) =>
          i % 2 === 0 ? (accepted.Records?.[i / 2] as PutRecordsResultEntry) : THROTTLED,
        );
        return {
          Records: results,
          FailedRecordCount: Math.floor(entries.length / 2),
        } as Partial<PutRecordsCommandOutput>;
      },
    } as unknown as KinesisClient;
    // Act
    const summary = await redriveFailures(options(prefix, target, { kinesis: flaky }));
    // Assess
    expect(calls).toEqual([failed.length, failed.length / 2]);
    expect(summary).toMatchObject({ redriven: 1, records: failed.length });
    expect(bare(await readStream(target))).toEqual(bare(asPut(failed)));
  });

  it('reports a malformed object and skips it without stopping the others', async () => {
    // Prepare
    const failed = failingRecords('mixed');
    const { prefix } = await onFailureObjectsFor(failed);
    const [goodKey] = await keysUnder(prefix);
    const good = JSON.parse(await readText(goodKey as string));
    const broken = `${prefix}0-broken`;
    const payload = JSON.parse(good.payload);
    payload.Records[1].kinesis.data = 'not base64!';
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: broken,
        Body: JSON.stringify({ ...good, payload: JSON.stringify(payload) }),
      }),
    );
    await clients.s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}1-not-json`, Body: '{"truncated' }),
    );
    const target = await newTarget();
    const out: string[] = [];
    const err: string[] = [];
    // Act
    const { exitCode, summary } = await runRedriveCommand(
      { ...parseRedriveArgs(['--prefix', prefix, '--stream', target, '--bucket', BUCKET]) },
      {
        config: {} as never,
        connect: async (args) => ({
          description: 'emulators',
          s3: clients.s3,
          kinesis: clients.kinesis,
          bucket: args.bucket as string,
          prefix: args.prefix as string,
          streamName: args.streamName as string,
          close: () => undefined,
        }),
        out: { write: (text: string) => out.push(text) },
        err: { write: (text: string) => err.push(text) },
      },
    );
    // Assess
    expect(exitCode).toBe(1);
    expect(summary).toMatchObject({ redriven: 1, failed: 2, records: failed.length });
    const failures = summary.objects.filter((o) => o.status === 'failed');
    expect(failures.map((o) => o.key).sort()).toEqual([broken, `${prefix}1-not-json`]);
    expect(failures.find((o) => o.key === broken)?.error).toContain(
      'payload.Records[1].kinesis.data',
    );
    expect(failures.find((o) => o.key !== broken)?.error).toContain('is not JSON');
    expect(bare(await readStream(target))).toEqual(bare(asPut(failed)));
    expect(out.join('')).toMatch(/failed: 2/);
    expect(err.join('')).toContain(`${broken}: FAILED, skipped`);
  });

  it('reads the records back from the stream when the object holds only KinesisBatchInfo', async () => {
    // Prepare: the documented metadata-only invocation record (no payload).
    const failed = failingRecords('metadata');
    const { prefix } = await onFailureObjectsFor(failed);
    const [key] = await keysUnder(prefix);
    const { payload: _payload, ...metadataOnly } = JSON.parse(await readText(key as string));
    await clients.s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: JSON.stringify(metadataOnly) }),
    );
    const target = await newTarget();
    // Act
    const summary = await redriveFailures(options(prefix, target));
    // Assess
    expect(summary.objects[0]).toMatchObject({
      status: 'redriven',
      source: 'stream',
      records: failed.length,
    });
    expect(bare(await readStream(target))).toEqual(bare(asPut(failed)));
  });

  it('leaves out objects outside --since / --until', async () => {
    // Prepare
    const { prefix } = await onFailureObjectsFor(failingRecords('window'));
    const target = await newTarget();
    // Act
    const summary = await redriveFailures(
      options(prefix, target, { since: new Date(Date.now() + 3_600_000) }),
    );
    // Assess
    expect(summary).toMatchObject({ outsideWindow: 1, redriven: 0, records: 0 });
    expect(await readStream(target)).toEqual([]);
  });
});
