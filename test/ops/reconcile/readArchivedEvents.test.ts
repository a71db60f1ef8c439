import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import type { RunningEmulators } from '../../../local/emulators/startEmulators.js';
import {
  type ArchiveReadSummary,
  readArchivedEvents,
} from '../../../ops/reconcile/readArchivedEvents.js';
import { sampleEvent } from '../../helpers/events.js';
import { startTestEmulators } from '../../helpers/testEmulators.js';

const config = loadConfig();
const BUCKET = 'read-archived-events-test';
const MINUTE = 60_000;
const T0 = Date.parse('2026-11-22T10:00:00Z');
const KEY =
  'events/year=2026/month=11/day=22/hour=10/streamfold-events-archive-1-2026-11-22-10-15-03-0f8fad5b-d9cb-469f-a165-70867728950e.gz';

let emulators: RunningEmulators;
let s3: S3Client;

const at = (minute: number, amount: number) =>
  sampleEvent('purchase', {
    time: new Date(T0 + minute * MINUTE).toISOString(),
    data: { amount },
  });
const events: StreamfoldEvent[] = [at(1, 1), at(5, 2), at(6, 3), at(8, 4), at(9, 5)];
const [e1, e2, e3, e4, e5] = events.map((event) => JSON.stringify(event)) as [
  string,
  string,
  string,
  string,
  string,
];
/**
 * One object as an archive without a record delimiter writes records that
 * lack a trailing newline (lines 3 and 6), mixed with what the delimited
 * archive writes (the empty line after a record that ended in a newline) and
 * lines the handler refuses whatever wrote them.
 */
const OBJECT_LINES = [
  e1,
  '',
  `${e2}${e3}`,
  ' \t ',
  'not json',
  `garbage${e4}`,
  JSON.stringify({ ...JSON.parse(e5), id: 'unknown-type', type: 'nope' }),
  e5,
  '',
];

async function read(): Promise<{ summary: ArchiveReadSummary; handedOn: StreamfoldEvent[] }> {
  const handedOn: StreamfoldEvent[] = [];
  const summary = await readArchivedEvents({
    s3,
    bucket: BUCKET,
    prefix: config.archive.prefix,
    arrivalFromMs: T0,
    arrivalToMs: T0 + 60 * MINUTE,
    sinceMs: T0,
    untilMs: T0 + 60 * MINUTE,
    catalog: webShopCatalog,
    maxLatenessMs: 7 * 24 * 60 * MINUTE,
    maxFutureSkewMs: 5 * MINUTE,
    onEvent: (event) => handedOn.push(event),
  });
  return { summary, handedOn };
}

beforeAll(async () => {
  const started = await startTestEmulators({ s3: true });
  emulators = started.emulators;
  s3 = started.clients.s3;
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: KEY,
      Body: gzipSync(Buffer.from(OBJECT_LINES.join('\n'))),
    }),
  );
}, 30_000);

afterAll(async () => {
  s3?.destroy();
  await emulators?.stop();
});

describe('readArchivedEvents', () => {
  it('skips empty lines and hands on each valid line as one event', async () => {
    // Act
    const { summary, handedOn } = await read();

    // Assess
    expect(handedOn.map((event) => event.id)).toEqual([events[0]?.id, events[4]?.id]);
    expect(summary.events).toBe(2);
    expect(summary.lines).toBe(OBJECT_LINES.filter((line) => line.trim() !== '').length);
  });

  it('counts as refused by the handler only lines the handler refuses whatever wrote them', async () => {
    // Act
    const { summary } = await read();

    // Assess
    expect(summary.invalid).toEqual({ malformed_json: 1, unknown_type: 1 });
  });

  it('reports lines that hold events merged by an archive apart, with their place and the times of their events', async () => {
    // Act
    const { summary } = await read();

    // Assess: not counted, not called refused; the buckets of those four times are not judged.
    expect(summary.mergedLines).toBe(2);
    expect(summary.mergedLineEvents).toBe(3);
    expect(summary.mergedLineSamples).toEqual([
      { key: KEY, line: 3 },
      { key: KEY, line: 6 },
    ]);
    expect(summary.mergedEventTimes).toEqual(
      [5, 6, 8].map((minute) => [T0 + minute * MINUTE, T0 + minute * MINUTE]),
    );
  });
});
