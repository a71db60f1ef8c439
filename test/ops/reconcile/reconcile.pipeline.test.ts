import { DeleteItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import { type LocalPipeline, startLocalPipeline } from '../../../local/startLocalPipeline.js';
import { parseReconcileArgs } from '../../../ops/reconcile/parseReconcileArgs.js';
import { reconcileAggregates } from '../../../ops/reconcile/reconcileAggregates.js';
import { runReconcileCommand } from '../../../ops/reconcile/runReconcileCommand.js';
import { sampleEvent } from '../../helpers/events.js';
import { expectedAggregates, expectMatchesGroundTruth } from '../../local/groundTruth.js';
import { readAggregates } from '../../local/readAggregates.js';
import {
  eventsOfDay,
  pastDayStart,
  pipelineTarget,
  sendAndDrain,
  textSink,
} from './reconcileFixtures.js';

// 1 s buffering so the archive holds every record as soon as the pipeline drains.
const config = loadConfig({
  archive: { bufferingInterval: '1s' },
  aggregation: { maxBatchingWindow: '0s' },
  local: { demoRate: 0 },
});
const DAY = 86_400_000;
const dayStart = pastDayStart();
const events: StreamfoldEvent[] = eventsOfDay(dayStart, 600, 11);
const since = new Date(dayStart).toISOString();
const until = new Date(dayStart + DAY).toISOString();
const hour = (h: number) => new Date(dayStart + h * 3_600_000).toISOString();

let pipeline: LocalPipeline;

/** Purchases happening now, as live traffic: they land in today's buckets, none of them judged. */
function liveBatch(count: number, round: number): StreamfoldEvent[] {
  return Array.from({ length: count }, (_, i) =>
    sampleEvent('purchase', {
      data: { country: (['DE', 'FR', 'US'] as const)[i % 3], amount: 1 + ((i * 7 + round) % 50) },
    }),
  );
}

beforeAll(async () => {
  pipeline = await startLocalPipeline({ config, ephemeralPorts: true, demoRate: 0 });
  await sendAndDrain(pipeline, events);
});

afterAll(async () => {
  await pipeline?.stop();
});

/** Runs the command as `npm run reconcile -- ARGS` would, against the test pipeline. */
async function reconcileCommand(...extra: string[]) {
  const out = textSink();
  const err = textSink();
  const result = await runReconcileCommand(
    parseReconcileArgs(['--since', since, '--until', until, ...extra]),
    { config, connect: pipelineTarget(pipeline, config), out, err },
  );
  return { ...result, out: out.text, err: err.text };
}

describe('npm run reconcile against the local pipeline', () => {
  it('reports zero drift when the table matches the archive', async () => {
    // Act
    const { exitCode, report, out } = await reconcileCommand();
    // Assess
    expect(report.archive.events).toBe(events.length);
    expect(report.archive.duplicates).toBe(0);
    const judged = Object.values(report.metrics).reduce((n, m) => n + m.judged, 0);
    expect(judged).toBe(expectedAggregates(config, events).size);
    expect(report.drift).toEqual([]);
    expect(exitCode).toBe(0);
    expect(out).toContain('drift: none');
    expect(out).toContain("Firehose's buffer");
  });

  it('names each drifted metric and bucket, and repairs them so a second run finds none', async () => {
    // Prepare: bump count and sum of one item, delete another.
    const { dynamodb } = pipeline.clients;
    const bumped = { pk: 'revenue#country=DE', sk: `1h#${hour(11)}` };
    const deleted = { pk: 'events#type=page_view', sk: `1h#${hour(10)}` };
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: config.table.name,
        Key: { pk: { S: bumped.pk }, sk: { S: bumped.sk } },
        UpdateExpression: 'ADD cnt :one, #sum :five',
        ExpressionAttributeNames: { '#sum': 'sum' },
        ExpressionAttributeValues: { ':one': { N: '1' }, ':five': { N: '5.5' } },
      }),
    );
    await dynamodb.send(
      new DeleteItemCommand({
        TableName: config.table.name,
        Key: { pk: { S: deleted.pk }, sk: { S: deleted.sk } },
      }),
    );
    const truth = expectedAggregates(config, events);
    const bumpedTruth = truth.get(`${bumped.pk}|${bumped.sk}`);
    // Act
    const found = await reconcileCommand();
    const repaired = await reconcileCommand('--repair');
    const after = await reconcileCommand();
    // Assess: found and named
    expect(found.exitCode).toBe(1);
    expect(found.report.drift.map((d) => [d.key, d.kind]).sort()).toEqual(
      [
        [`${bumped.pk}|${bumped.sk}`, 'different'],
        [`${deleted.pk}|${deleted.sk}`, 'missing'],
      ].sort(),
    );
    const bumpedDrift = found.report.drift.find((d) => d.metric === 'revenue');
    expect(bumpedDrift).toMatchObject({ group: 'country=DE', window: '1h', bucket: hour(11) });
    expect(bumpedDrift?.differences).toContain(
      `count: expected ${bumpedTruth?.count}, stored ${(bumpedTruth?.count ?? 0) + 1}`,
    );
    expect(found.report.metrics.revenue?.drifted).toBe(1);
    expect(found.report.metrics.events?.drifted).toBe(1);
    expect(found.out).toContain(`revenue country=DE 1h ${hour(11)}: count: expected`);
    expect(found.out).toContain(`events type=page_view 1h ${hour(10)}: missing from the table`);
    // Assess: repaired
    expect(repaired.exitCode).toBe(0);
    expect(repaired.report.repair).toMatchObject({ repaired: 2, failed: [] });
    expect(after.report.drift).toEqual([]);
    expect(after.exitCode).toBe(0);
    expectMatchesGroundTruth(await readAggregates(dynamodb, config.table.name), truth);
  });

  it('ends exact when live writes land between the read and the write, while new events are aggregated', async () => {
    // Prepare: drift on three items with histograms; live events of today keep flowing.
    const { dynamodb } = pipeline.clients;
    // Day buckets of three countries: each has a histogram and exists.
    const truthBefore = expectedAggregates(config, events);
    const targets = [...truthBefore.keys()]
      .filter((key) => key.startsWith('revenue#') && key.includes('|1d#'))
      .slice(0, 3);
    expect(targets.length).toBe(3);
    for (const key of targets) {
      const [pk, sk] = key.split('|') as [string, string];
      const bucket = Object.keys(truthBefore.get(key)?.buckets ?? {})[0] as string;
      await dynamodb.send(
        new UpdateItemCommand({
          TableName: config.table.name,
          Key: { pk: { S: pk }, sk: { S: sk } },
          UpdateExpression: 'ADD cnt :n, #sum :s, #h :n',
          ExpressionAttributeNames: { '#sum': 'sum', '#h': `h:${bucket}` },
          ExpressionAttributeValues: { ':n': { N: '2' }, ':s': { N: '17.25' } },
        }),
      );
    }
    let stopLive = false;
    const liveEvents: StreamfoldEvent[] = [];
    const liveLoop = (async () => {
      for (let round = 0; !stopLive; round++) {
        const batch = liveBatch(40, round);
        liveEvents.push(...batch);
        await Promise.all(batch.map((event) => pipeline.producer.put(event as never)));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    // A write like the handler's lands on each item between the repair's read and its write.
    const interfered = new Set<string>();
    const beforeWrite = async (key: string, attempt: number) => {
      if (attempt !== 1) return;
      interfered.add(key);
      const [pk, sk] = key.split('|') as [string, string];
      await dynamodb.send(
        new UpdateItemCommand({
          TableName: config.table.name,
          Key: { pk: { S: pk }, sk: { S: sk } },
          UpdateExpression: 'ADD cnt :one, #sum :v',
          ExpressionAttributeNames: { '#sum': 'sum' },
          ExpressionAttributeValues: { ':one': { N: '1' }, ':v': { N: '3.75' } },
        }),
      );
    };
    // Act
    let report: Awaited<ReturnType<typeof reconcileAggregates>>;
    try {
      report = await reconcileAggregates({
        config,
        s3: pipeline.clients.s3,
        dynamodb,
        bucket: config.archive.bucketName,
        tableName: config.table.name,
        sinceMs: dayStart,
        untilMs: dayStart + DAY,
        mode: 'repair',
        beforeWrite,
      });
    } finally {
      stopLive = true;
      await liveLoop;
    }
    await pipeline.waitForDrain(30_000);
    const check = await reconcileCommand();
    // Assess
    expect(report.drift.map((d) => d.key).sort()).toEqual([...targets].sort());
    expect([...interfered].sort()).toEqual([...targets].sort());
    expect(report.repair).toMatchObject({ repaired: 3, failed: [] });
    expect(report.repair?.conflicts).toBe(3);
    expect(liveEvents.length).toBeGreaterThan(0);
    expect(check.report.drift).toEqual([]);
    expectMatchesGroundTruth(
      await readAggregates(dynamodb, config.table.name),
      expectedAggregates(config, [...events, ...liveEvents]),
    );
  });
  it('judges recent buckets only once they are older than the buffering interval plus the margin', async () => {
    // Prepare: the live purchases of the previous test are in the last minutes' buckets.
    const HOUR = 3_600_000;
    const nowMs = Date.now();
    const sinceMs = Math.floor(nowMs / HOUR) * HOUR - HOUR;
    const untilMs = sinceMs + 3 * HOUR;
    const run = (now: number) =>
      reconcileAggregates({
        config,
        s3: pipeline.clients.s3,
        dynamodb: pipeline.clients.dynamodb,
        bucket: config.archive.bucketName,
        tableName: config.table.name,
        sinceMs,
        untilMs,
        mode: 'check',
        metrics: ['revenue'],
        now: () => now,
      });
    // Act
    const early = await run(nowMs);
    const later = await run(untilMs + HOUR);
    // Assess: the newest minute buckets wait; two hours on, every bucket of the range is judged.
    expect(early.metrics.revenue?.notComplete).toBeGreaterThan(0);
    expect(later.metrics.revenue?.notComplete).toBe(0);
    expect(later.metrics.revenue?.judged).toBeGreaterThan(early.metrics.revenue?.judged ?? 0);
    expect(later.drift).toEqual([]);
    expect(later.completeBefore).toBe(new Date(untilMs + HOUR - 1_000 - 120_000).toISOString());
  });
});
