import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import type { RunningEmulators } from '../../../local/emulators/startEmulators.js';
import { readArchivedEvents } from '../../../ops/reconcile/readArchivedEvents.js';
import { sampleEvent } from '../../helpers/events.js';
import { startTestEmulators } from '../../helpers/testEmulators.js';

const config = loadConfig();
const BUCKET = 'backlog-object-window-test';
const MINUTE = 60_000;
const T0 = Date.parse('2026-11-22T11:00:00Z');
/** Named by its oldest record's arrival, 11:00:00; its other records arrived up to 25 min later. */
const KEY =
  'events/year=2026/month=11/day=22/hour=11/streamfold-events-archive-1-2026-11-22-11-00-00-0f8fad5b-d9cb-469f-a165-70867728950e.gz';

let emulators: RunningEmulators;
let s3: S3Client;

const at = (timeMs: number) =>
  sampleEvent('purchase', { time: new Date(timeMs).toISOString(), data: { amount: 1 } });

/**
 * An archive that caught up with a backlog writes records that arrived minutes
 * apart into one object, named after the oldest. The handler accepted each
 * event against its own record's arrival (maxFutureSkew 5 min), so an event
 * timed 20 minutes after the object's name was accepted when its record
 * arrived at 11:18; reconcile must not call it refused (and `--repair` must not
 * take it out of the aggregates).
 */
describe('readArchivedEvents on an object holding a backlog', () => {
  const backlogEvent = at(T0 + 20 * MINUTE);
  const oldest = at(T0);
  // Later than any arrival up to the object's writing (now) allows: refused by every arrival.
  const farFuture = at(Date.now() + 60 * MINUTE);

  beforeAll(async () => {
    const started = await startTestEmulators({ s3: true });
    emulators = started.emulators;
    s3 = started.clients.s3;
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const text = [oldest, backlogEvent, farFuture].map((e) => JSON.stringify(e)).join('\n');
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: gzipSync(`${text}\n`) }));
  });

  afterAll(async () => {
    s3?.destroy();
    await emulators?.stop();
  });

  it('refuses only what every arrival between the name and the writing would refuse', async () => {
    // Act
    const handedOn: StreamfoldEvent[] = [];
    const summary = await readArchivedEvents({
      s3,
      bucket: BUCKET,
      prefix: config.archive.prefix,
      arrivalFromMs: T0,
      arrivalToMs: T0 + 60 * MINUTE,
      sinceMs: T0,
      untilMs: Date.now() + 24 * 60 * MINUTE,
      catalog: webShopCatalog,
      maxLatenessMs: 7 * 24 * 60 * MINUTE,
      maxFutureSkewMs: 5 * MINUTE,
      onEvent: (event) => handedOn.push(event),
    });

    // Assess
    expect(handedOn.map((event) => event.id)).toEqual([oldest.id, backlogEvent.id]);
    expect(summary.invalid).toEqual({ time_out_of_window: 1 });
  });
});
