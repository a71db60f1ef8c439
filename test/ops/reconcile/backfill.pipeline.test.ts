import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import { type LocalPipeline, startLocalPipeline } from '../../../local/startLocalPipeline.js';
import { parseReconcileArgs } from '../../../ops/reconcile/parseReconcileArgs.js';
import { runReconcileCommand } from '../../../ops/reconcile/runReconcileCommand.js';
import { expectedAggregates } from '../../local/groundTruth.js';
import { readAggregates } from '../../local/readAggregates.js';
import {
  eventsOfDay,
  pastDayStart,
  pipelineTarget,
  sendAndDrain,
  textSink,
} from './reconcileFixtures.js';

// The pipeline runs the declared metrics; the new one is declared only afterwards.
const config = loadConfig({
  archive: { bufferingInterval: '1s' },
  aggregation: { maxBatchingWindow: '0s' },
  local: { demoRate: 0 },
});
const revenue = config.metrics.find((m) => m.name === 'revenue');
if (!revenue) throw new Error('streamfold.config.ts declares no revenue metric');
/** Declared later: the same definition as `revenue` under a new name, so live items are its reference. */
const NEW_METRIC = 'revenue_copy';
const extended = loadConfig({
  archive: { bufferingInterval: '1s' },
  local: { demoRate: 0 },
  metrics: [...config.metrics, { ...revenue, name: NEW_METRIC }],
});
const dayStart = pastDayStart();
const events: StreamfoldEvent[] = eventsOfDay(dayStart, 600, 23);
const hour = (h: number) => new Date(dayStart + h * 3_600_000).toISOString();

let pipeline: LocalPipeline;

beforeAll(async () => {
  pipeline = await startLocalPipeline({ config, ephemeralPorts: true, demoRate: 0 });
  await sendAndDrain(pipeline, events);
});

afterAll(async () => {
  await pipeline?.stop();
});

async function reconcileCommand(...extra: string[]) {
  const out = textSink();
  const err = textSink();
  const args = ['--since', hour(0), '--until', hour(24), ...extra];
  const result = await runReconcileCommand(parseReconcileArgs(args), {
    config: extended,
    connect: pipelineTarget(pipeline, extended),
    out,
    err,
  });
  return { ...result, out: out.text, err: err.text };
}

describe('npm run reconcile -- --metric NAME --backfill', () => {
  it('writes the items of a newly declared metric equal to what live aggregation made of the same events, leaving existing items alone', async () => {
    // Prepare: the live handler already wrote one bucket of the new metric (deployed mid-day).
    const { dynamodb } = pipeline.clients;
    const existingKey = `${NEW_METRIC}#country=DE|1h#${hour(11)}`;
    await dynamodb.send(
      new PutItemCommand({
        TableName: config.table.name,
        Item: {
          pk: { S: `${NEW_METRIC}#country=DE` },
          sk: { S: `1h#${hour(11)}` },
          metric: { S: NEW_METRIC },
          grp: { S: 'country=DE' },
          win: { S: '1h' },
          bucket: { S: hour(11) },
          cnt: { N: '1' },
          sum: { N: '10' },
          min: { N: '10' },
          max: { N: '10' },
          'h:p232': { N: '1' },
        },
      }),
    );
    // Act
    const first = await reconcileCommand('--metric', NEW_METRIC, '--backfill');
    const second = await reconcileCommand('--metric', NEW_METRIC, '--backfill');
    const stored = await readAggregates(dynamodb, config.table.name);
    // Assess: every live revenue item has a backfilled twin with the same figures.
    const live = [...stored].filter(([key]) => key.startsWith('revenue#'));
    expect(live.length).toBeGreaterThan(20);
    for (const [key, figures] of live) {
      const twin = key.replace(/^revenue#/, `${NEW_METRIC}#`);
      if (twin === existingKey) continue;
      const got = stored.get(twin);
      expect(got?.count, twin).toBe(figures.count);
      expect(got?.min, twin).toBe(figures.min);
      expect(got?.max, twin).toBe(figures.max);
      expect(got?.buckets, twin).toEqual(figures.buckets);
      expect(got?.sum, twin).toBe(figures.sum);
    }
    const truth = [...expectedAggregates(extended, events)].filter(([key]) =>
      key.startsWith(`${NEW_METRIC}#`),
    );
    expect(first.exitCode).toBe(0);
    expect(first.report.backfill).toMatchObject({
      written: truth.length - 1,
      existing: [existingKey],
      failed: [],
    });
    expect(first.out).toContain(`existing ${existingKey}`);
    expect(first.err).toContain(`backfill: ${truth.length}/${truth.length} items`);
    expect(second.report.backfill?.written).toBe(0);
    expect(second.report.backfill?.existing.length).toBe(truth.length);
    // The pre-existing item kept what the live handler wrote.
    expect(stored.get(existingKey)?.count).toBe(1);
  });

  it('lets a repair run bring the items that already existed in line with the archive', async () => {
    // Act
    const repaired = await reconcileCommand('--metric', NEW_METRIC, '--repair');
    const check = await reconcileCommand('--metric', NEW_METRIC);
    // Assess
    expect(repaired.report.drift.map((d) => d.key)).toEqual([
      `${NEW_METRIC}#country=DE|1h#${hour(11)}`,
    ]);
    expect(repaired.exitCode).toBe(0);
    expect(check.report.drift).toEqual([]);
    expect(check.report.metrics[NEW_METRIC]?.judged).toBe(
      [...expectedAggregates(extended, events).keys()].filter((k) => k.startsWith(`${NEW_METRIC}#`))
        .length,
    );
    expect(check.exitCode).toBe(0);
  });
});
