import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KplRecordBuilder } from '../../core/codec/kplCodec.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/startLocalPipeline.js';
import { parseArchiveArgs } from '../../ops/archive/parseArchiveArgs.js';
import { runArchiveCommand } from '../../ops/archive/runArchiveCommand.js';
import { parseReconcileArgs } from '../../ops/reconcile/parseReconcileArgs.js';
import { runReconcileCommand } from '../../ops/reconcile/runReconcileCommand.js';
import { readDeliveredObjects } from '../helpers/firehose.js';
import {
  eventsOfDay,
  pastDayStart,
  pipelineTarget,
  textSink,
} from '../ops/reconcile/reconcileFixtures.js';
import { expectedAggregates, expectMatchesGroundTruth } from './groundTruth.js';
import { readAggregates } from './readAggregates.js';

// 1 s buffering so the archive holds every record as soon as the pipeline drains.
const config = loadConfig({
  archive: { bufferingInterval: '1s' },
  aggregation: { maxBatchingWindow: '0s' },
  local: { demoRate: 0 },
});
const DAY = 86_400_000;
const HOUR = 3_600_000;
const dayStart = pastDayStart();
/** Events of three hours of a past day: every bucket of them can be judged. */
const events: StreamfoldEvent[] = eventsOfDay(dayStart, 300, 23);
/** Travel as user records of one KPL aggregate, themselves without a trailing newline. */
const AGGREGATED = 3;
const since = new Date(dayStart).toISOString();
const until = new Date(dayStart + DAY).toISOString();

let pipeline: LocalPipeline;
let cacheDir: string;

/** JSON with no trailing newline, as `aws kinesis put-record --data '{…}'` writes it. */
const bare = (event: StreamfoldEvent) => Buffer.from(JSON.stringify(event));

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'unterminated-'));
  pipeline = await startLocalPipeline({ config, ephemeralPorts: true, demoRate: 0 });
  // Put with the raw Kinesis client: one record per event, none ending in a newline,
  // and one KPL aggregate of user records that do not end in one either.
  const aggregate = new KplRecordBuilder();
  for (const event of events.slice(0, AGGREGATED)) {
    aggregate.add({ partitionKey: event.id, data: bare(event) });
  }
  const records = [
    { Data: aggregate.build(), PartitionKey: 'aggregate' },
    ...events.slice(AGGREGATED).map((event) => ({ Data: bare(event), PartitionKey: event.id })),
  ];
  for (let i = 0; i < records.length; i += 100) {
    const answer = await pipeline.clients.kinesis.send(
      new PutRecordsCommand({ StreamName: config.stream.name, Records: records.slice(i, i + 100) }),
    );
    expect(answer.FailedRecordCount).toBe(0);
  }
  await pipeline.waitForDrain(60_000);
}, 90_000);

afterAll(async () => {
  await pipeline?.stop();
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

/** Runs `npm run archive -- ARGS --format json` against the pipeline's archive. */
async function archiveQuery(sql: string): Promise<Record<string, unknown>[]> {
  const out = textSink();
  const err = textSink();
  const code = await runArchiveCommand(
    parseArchiveArgs(['query', sql, '--since', '1h', '--format', 'json', '--cache-dir', cacheDir]),
    {
      config,
      connect: async () => ({
        description: 'local pipeline',
        s3: pipeline.clients.s3,
        bucket: config.archive.bucketName,
        close: () => undefined,
      }),
      out,
      err,
    },
  );
  expect(err.text).not.toMatch(/error/i);
  expect(code).toBe(0);
  return JSON.parse(out.text) as Record<string, unknown>[];
}

/** Runs `npm run reconcile -- --since … --until … ARGS` against the pipeline. */
async function reconcileCommand(...extra: string[]) {
  const out = textSink();
  const err = textSink();
  const result = await runReconcileCommand(
    parseReconcileArgs(['--since', since, '--until', until, ...extra]),
    { config, connect: pipelineTarget(pipeline, config), out, err },
  );
  return { ...result, out: out.text, err: err.text };
}

describe('records without a trailing newline, through the local pipeline', () => {
  it('are aggregated, each once', async () => {
    // Assess
    expect(pipeline.status().aggregated).toBe(events.length);
    expect(pipeline.status().rejected).toBe(0);
    expectMatchesGroundTruth(
      await readAggregates(pipeline.clients.dynamodb, config.table.name),
      expectedAggregates(config, events),
    );
  });

  it('are archived each as a line of its own, and npm run archive shows each as its own row', async () => {
    // Act
    const lines = await archiveQuery(
      'SELECT count(*) AS rows, count(id) AS ids, count(DISTINCT id) AS distinct_ids FROM raw_events',
    );
    const ids = await archiveQuery('SELECT id FROM events ORDER BY id');

    // Assess: no row of nulls for a merged line, and none for the empty lines.
    expect(lines).toEqual([
      { rows: events.length, ids: events.length, distinct_ids: events.length },
    ]);
    expect(ids.map((row) => row.id)).toEqual(events.map((event) => event.id).sort());
    expect(pipeline.status().archivedEvents).toBe(events.length);
  });

  it('leave npm run reconcile with every event read and no drift', async () => {
    // Act
    const { exitCode, report, out } = await reconcileCommand();

    // Assess
    expect(report.archive.events).toBe(events.length);
    expect(report.archive.invalid).toEqual({});
    expect(report.archive.mergedLines).toBe(0);
    const judged = Object.values(report.metrics).reduce((n, m) => n + m.judged, 0);
    expect(judged).toBe(expectedAggregates(config, events).size);
    expect(report.drift).toEqual([]);
    expect(out).toContain('drift: none');
    expect(exitCode).toBe(0);
  });
});

describe('an archive written without the record delimiter, where such records merged', () => {
  it('is not blamed on the handler, and a repair does not subtract the events it hides', async () => {
    // Prepare: rewrite the archive as Firehose wrote it before AppendDelimiterToRecord:
    // the events of the first hour, each a record without a newline, concatenated in pairs.
    const objects = await readDeliveredObjects(pipeline.clients.s3, config.archive.bucketName);
    const lines = objects.flatMap((o) => o.text.split('\n').filter((line) => line !== ''));
    const firstHour = (line: string) =>
      Date.parse((JSON.parse(line) as StreamfoldEvent).time) < dayStart + 11 * HOUR;
    const merged = lines.filter(firstHour);
    const damaged = [
      ...Array.from({ length: Math.ceil(merged.length / 2) }, (_, i) =>
        merged.slice(2 * i, 2 * i + 2).join(''),
      ),
      ...lines.filter((line) => !firstHour(line)),
    ];
    for (const { key } of objects) {
      await pipeline.clients.s3.send(
        new DeleteObjectCommand({ Bucket: config.archive.bucketName, Key: key }),
      );
    }
    await pipeline.clients.s3.send(
      new PutObjectCommand({
        Bucket: config.archive.bucketName,
        Key: objects[0]?.key,
        Body: gzipSync(Buffer.from(`${damaged.join('\n')}\n`)),
      }),
    );
    const pairs = Math.floor(merged.length / 2);

    // Act
    const checked = await reconcileCommand();
    const repaired = await reconcileCommand('--repair');

    // Assess: the merged lines are reported as such, never as lines the handler refused.
    expect(pairs).toBeGreaterThan(0);
    expect(checked.report.archive.invalid).toEqual({});
    expect(checked.report.archive.mergedLines).toBe(pairs);
    expect(checked.report.archive.mergedLineEvents).toBe(2 * pairs);
    expect(checked.out).toContain(`merged lines: ${pairs} archive lines are not JSON`);
    // The buckets those events fall in are not judged; the others are, and agree.
    const tally = Object.values(checked.report.metrics);
    expect(tally.reduce((n, m) => n + m.mergedLines, 0)).toBeGreaterThan(0);
    expect(tally.reduce((n, m) => n + m.judged, 0)).toBeGreaterThan(0);
    expect(checked.report.drift).toEqual([]);
    expect(checked.exitCode).toBe(0);
    // A repair leaves every aggregate as the handler counted it.
    expect(repaired.report.repair).toMatchObject({ repaired: 0, failed: [] });
    expectMatchesGroundTruth(
      await readAggregates(pipeline.clients.dynamodb, config.table.name),
      expectedAggregates(config, events),
    );
  });
});
