import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config/loadConfig.js';
import { valueSourcesOf } from '../../../core/events/checkStorableValues.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import type { RunningEmulators } from '../../../local/emulators/startEmulators.js';
import { readArchivedEvents } from '../../../ops/reconcile/readArchivedEvents.js';
import { sampleEvent } from '../../helpers/events.js';
import { startTestEmulators } from '../../helpers/testEmulators.js';

const config = loadConfig();
const BUCKET = 'unstorable-archived-events-test';
const T0 = Date.parse('2026-11-22T10:00:00Z');
const KEY =
  'events/year=2026/month=11/day=22/hour=10/streamfold-events-archive-1-2026-11-22-10-15-03-5b0c1f4e-0f5b-4d1e-9d5e-2b1c7a8e9f00.gz';

let emulators: RunningEmulators;
let s3: S3Client;

const purchase = (id: string, amount: number) =>
  sampleEvent('purchase', { id, time: new Date(T0 + 60_000).toISOString(), data: { amount } });

beforeAll(async () => {
  const started = await startTestEmulators({ s3: true });
  emulators = started.emulators;
  s3 = started.clients.s3;
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  // 5e-324 and 0.30000000000000004 pass the catalog; the handler refuses both as unstorable.
  const lines = [purchase('good', 42.5), purchase('tiny', 5e-324), purchase('float', 0.1 + 0.2)];
  await s3.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: KEY,
      Body: gzipSync(Buffer.from(`${lines.map((e) => JSON.stringify(e)).join('\n')}\n`)),
    }),
  );
}, 30_000);

afterAll(async () => {
  s3?.destroy();
  await emulators?.stop();
});

describe('readArchivedEvents with the handler value sources', () => {
  it('counts events with values the handler refuses as unstorable_number, and hands on the rest', async () => {
    // Act
    const handedOn: StreamfoldEvent[] = [];
    const summary = await readArchivedEvents({
      s3,
      bucket: BUCKET,
      prefix: config.archive.prefix,
      arrivalFromMs: T0,
      arrivalToMs: T0 + 3_600_000,
      sinceMs: T0,
      untilMs: T0 + 3_600_000,
      catalog: webShopCatalog,
      valueSources: valueSourcesOf(config.metrics),
      maxLatenessMs: 7 * 86_400_000,
      maxFutureSkewMs: 300_000,
      onEvent: (event) => handedOn.push(event),
    });

    // Assess: the archive's truth leaves them out as the handler does, so a repair never adds them
    expect(handedOn.map((event) => event.id)).toEqual(['good']);
    expect(summary.invalid).toEqual({ unstorable_number: 2 });
  });
});
