import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import { archiveTableColumns } from '../../../infra/archiveTableColumns.js';
import { S3DeliveryBuffer } from '../../../local/archiver/S3DeliveryBuffer.js';
import type { AwsClients } from '../../../local/awsClients.js';
import type { RunningEmulators } from '../../../local/emulators/startEmulators.js';
import { createAggregatesTable } from '../../../local/provisionResources.js';
import {
  type ReconcileReport,
  reconcileAggregates,
} from '../../../ops/reconcile/reconcileAggregates.js';
import { startTestEmulators } from '../../helpers/testEmulators.js';
import { eventsOfDay, pastDayStart } from './reconcileFixtures.js';

const config = loadConfig();
const FORMATS = ['json', 'parquet'] as const;
type Format = (typeof FORMATS)[number];
const bucketOf = (format: Format) => `reconcile-format-${format}`;
const TABLE = 'reconcile-formats';
const DAY = 86_400_000;

let emulators: RunningEmulators;
let clients: AwsClients;
const dayStart = pastDayStart();
const events = eventsOfDay(dayStart, 300, 18);

/** The archive of `records` in `format`: 30 records an object, arriving just after its last event. */
async function archive(format: Format, records: readonly StreamfoldEvent[]): Promise<void> {
  await clients.s3.send(new CreateBucketCommand({ Bucket: bucketOf(format) }));
  const buffer = new S3DeliveryBuffer({
    s3: clients.s3,
    bucket: bucketOf(format),
    prefix: config.archive.prefix,
    deliveryStreamName: `${config.stream.name}-archive`,
    bufferingSizeBytes: 1 << 20,
    bufferingIntervalMs: 60_000,
    ...(format === 'parquet'
      ? {
          parquet: {
            columns: archiveTableColumns(config.catalog),
            errorOutputPrefix: config.archive.errorOutputPrefix,
            databaseName: 'streamfold_local',
            tableName: 'events',
          },
        }
      : {}),
  });
  for (let start = 0; start < records.length; start += 30) {
    const chunk = records.slice(start, start + 30);
    const arrival = new Date(Date.parse((chunk.at(-1) as StreamfoldEvent).time) + 1_000);
    await buffer.add(Buffer.from(chunk.map((e) => `${JSON.stringify(e)}\n`).join('')), arrival);
    await buffer.flush();
  }
  await buffer.stop();
}

function reconcile(format: Format, now: number): Promise<ReconcileReport> {
  return reconcileAggregates({
    config,
    s3: clients.s3,
    dynamodb: clients.dynamodb,
    bucket: bucketOf(format),
    tableName: TABLE,
    sinceMs: dayStart,
    untilMs: dayStart + DAY,
    mode: 'check',
    now: () => now,
  });
}

beforeAll(async () => {
  ({ emulators, clients } = await startTestEmulators({ s3: true, dynamodb: true }));
  await createAggregatesTable(clients.dynamodb, TABLE);
  // Sorted by time, as they arrive; the first 20 sent twice, as producer retries do.
  const sorted = [...events].sort((a, b) => a.time.localeCompare(b.time));
  const records = [...sorted, ...sorted.slice(0, 20)];
  for (const format of FORMATS) await archive(format, records);
}, 60_000);

afterAll(async () => {
  await emulators?.stop();
});

describe('npm run reconcile over gzip NDJSON and over Parquet', () => {
  it('reads the same events and judges the same drift from both formats', async () => {
    // Act: against an empty table, every expected aggregate is drift
    const now = Date.now();
    const [json, parquet] = await Promise.all(FORMATS.map((format) => reconcile(format, now)));

    // Assess: everything but the bucket and the object sizes is the same
    const comparable = (report: ReconcileReport | undefined) => {
      const { bucket: _bucket, bytes: _bytes, ...archive } = report?.archive ?? ({} as never);
      return { ...report, archive };
    };
    expect(comparable(parquet)).toEqual(comparable(json));
    expect(json?.archive.events).toBe(300);
    expect(json?.archive.duplicates).toBe(20);
    expect(json?.archive.invalid).toEqual({});
    expect(json?.drift.length).toBeGreaterThan(0);
  });
});
