import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/startLocalPipeline.js';
import { namedArchiveQueries } from '../../ops/archive/namedArchiveQueries.js';
import { parseArchiveArgs } from '../../ops/archive/parseArchiveArgs.js';
import { runArchiveCommand } from '../../ops/archive/runArchiveCommand.js';
import { parseReconcileArgs } from '../../ops/reconcile/parseReconcileArgs.js';
import { runReconcileCommand } from '../../ops/reconcile/runReconcileCommand.js';
import {
  eventsOfDay,
  pastDayStart,
  pipelineTarget,
  sendAndDrain,
  textSink,
} from '../ops/reconcile/reconcileFixtures.js';

const DAY = 86_400_000;
const dayStart = pastDayStart();
const events: StreamfoldEvent[] = eventsOfDay(dayStart, 400, 18);
/**
 * One record of three NDJSON lines the handler counts, one of them a page view with an
 * undeclared `amount` that is text. The table's `data.amount` is a double, so Parquet
 * conversion refuses the record whole: "When Amazon Data Firehose can't parse or deserialize
 * a record (for example, when the data doesn't match the schema), it writes it to Amazon S3
 * with an error prefix." (https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion-error-handling.html)
 */
const packed = (() => {
  const [first, second] = eventsOfDay(dayStart, 2, 7);
  const pageView = {
    ...(eventsOfDay(dayStart, 1, 9)[0] as StreamfoldEvent),
    id: 'page-view-with-text-amount',
  };
  const lines = [first, { ...pageView, data: { ...pageView.data, amount: 'free' } }, second];
  return {
    count: lines.length,
    data: Buffer.from(lines.map((l) => `${JSON.stringify(l)}\n`).join('')),
  };
})();
const SQL =
  'SELECT type, count(*) AS n, count(DISTINCT id) AS ids, round(sum(data.amount), 6) AS revenue, sum(data.quantity) AS quantity, max(data.country) AS country FROM events GROUP BY 1 ORDER BY 1';

/** What the archive and reconcile commands answer over one pipeline's archive. */
interface Answers {
  keys: string[];
  conversionFailures: number;
  adHoc: string;
  named: Record<string, string>;
  reconcile: unknown;
}

/** Runs a pipeline with `format`, puts the events through it, and asks both commands. */
async function answersOf(format: 'json' | 'parquet'): Promise<Answers> {
  // 1 s buffering so the archive holds every record as soon as the pipeline drains.
  const config = loadConfig({
    archive: { bufferingInterval: '1s', format },
    aggregation: { maxBatchingWindow: '1s' },
    local: { demoRate: 0 },
  });
  let pipeline: LocalPipeline | undefined;
  try {
    pipeline = await startLocalPipeline({ config, ephemeralPorts: true, demoRate: 0 });
    await sendAndDrain(pipeline, events);
    const running = pipeline;
    const archive = async (argv: string[]) => {
      const out = textSink();
      const err = textSink();
      const code = await runArchiveCommand(parseArchiveArgs(argv), {
        config,
        connect: async () => ({
          description: 'test pipeline',
          s3: running.clients.s3,
          bucket: config.archive.bucketName,
          close: () => undefined,
        }),
        out,
        err,
      });
      if (code !== 0) throw new Error(`archive ${argv.join(' ')}: ${err.text}`);
      return out.text;
    };
    const adHoc = await archive(['query', SQL, '--since', '1h', '--json']);
    const named: Record<string, string> = {};
    for (const query of namedArchiveQueries(config, 'dev').queries) {
      named[query.id] = await archive(['query', '--named', query.id, '--json']);
    }
    // After the SQL answers: the table holds no record conversion refused, reconcile reads
    // them from the error prefix as they were sent, so both formats judge the same events.
    await running.clients.kinesis.send(
      new PutRecordCommand({
        StreamName: config.stream.name,
        PartitionKey: 'packed',
        Data: packed.data,
      }),
    );
    await running.waitForDrain(30_000);
    const reconcile = await runReconcileCommand(
      parseReconcileArgs([
        '--since',
        new Date(dayStart).toISOString(),
        '--until',
        new Date(dayStart + DAY).toISOString(),
      ]),
      { config, connect: pipelineTarget(running, config), out: textSink(), err: textSink() },
    );
    const listed = await running.clients.s3.send(
      new ListObjectsV2Command({ Bucket: config.archive.bucketName, Prefix: 'events/' }),
    );
    const { archive: read, metrics, drift } = reconcile.report;
    return {
      keys: (listed.Contents ?? []).map((object) => object.Key as string),
      conversionFailures: running.status().archiveConversionFailures,
      adHoc,
      named,
      reconcile: {
        exitCode: reconcile.exitCode,
        events: read.events,
        duplicates: read.duplicates,
        invalid: read.invalid,
        lines: read.lines,
        metrics,
        drift,
      },
    };
  } finally {
    await pipeline?.stop();
  }
}

describe('the same events through a json pipeline and a parquet pipeline', () => {
  it('archives gzip NDJSON and Parquet, and npm run archive and npm run reconcile answer the same over both', async () => {
    // Act: one pipeline after the other, to spare the machine
    const json = await answersOf('json');
    const parquet = await answersOf('parquet');

    // Assess: the formats written
    expect(json.keys.length).toBeGreaterThan(0);
    expect(json.keys.every((key) => key.endsWith('.gz'))).toBe(true);
    expect(parquet.keys.length).toBeGreaterThan(0);
    expect(parquet.keys.every((key) => key.endsWith('.parquet'))).toBe(true);
    expect(parquet.conversionFailures).toBe(1);
    // The same answers
    expect(parquet.adHoc).toBe(json.adHoc);
    expect(parquet.named).toEqual(json.named);
    for (const [id, text] of Object.entries(json.named)) {
      expect((JSON.parse(text) as unknown[]).length, id).toBeGreaterThan(0);
    }
    expect(parquet.reconcile).toEqual(json.reconcile);
    expect(json.reconcile).toEqual(
      expect.objectContaining({ exitCode: 0, events: events.length + packed.count, drift: [] }),
    );
    const rows = JSON.parse(json.adHoc) as { n: number }[];
    expect(rows.reduce((sum, row) => sum + row.n, 0)).toBe(events.length);
  }, 240_000);
});
