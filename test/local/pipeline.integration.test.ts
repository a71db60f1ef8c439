import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { sampleEventGenerator } from '../../examples/web-shop/sampleEvents.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/startLocalPipeline.js';
import { seededRandom } from '../helpers/seededRandom.js';
import { expectedAggregates, expectMatchesGroundTruth } from './groundTruth.js';
import { readAggregates } from './readAggregates.js';

const EVENT_COUNT = 100_000;

async function readArchive(
  s3: S3Client,
  bucket: string,
): Promise<{ keys: string[]; lines: string[] }> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }),
    );
    keys.push(...(page.Contents ?? []).map((o) => o.Key as string));
    token = page.NextContinuationToken;
  } while (token);
  const lines: string[] = [];
  for (const key of keys) {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = gunzipSync(
      await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    ).toString('utf8');
    lines.push(...text.split('\n').filter((line) => line.length > 0));
  }
  return { keys, lines };
}

describe('local pipeline end to end', () => {
  const config = loadConfig({ archive: { bufferingInterval: '1s' }, local: { demoRate: 0 } });
  const events: StreamfoldEvent[] = [];
  let pipeline: LocalPipeline;

  beforeAll(async () => {
    // Prepare
    pipeline = await startLocalPipeline({ config, ephemeralPorts: true, demoRate: 0 });
    const next = sampleEventGenerator({ source: 'integration-test', random: seededRandom(42) });
    // Act
    const acks: Promise<unknown>[] = [];
    for (let i = 0; i < EVENT_COUNT; i++) {
      const event = next();
      events.push(event);
      acks.push(pipeline.producer.put(event));
    }
    await Promise.all(acks);
    await pipeline.waitForDrain(120_000);
  }, 240_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('aggregates every event exactly once, matching ground truth computed from the events', async () => {
    // Assess
    const stored = await readAggregates(pipeline.clients.dynamodb, config.table.name);
    expectMatchesGroundTruth(stored, expectedAggregates(config, events));
    expect(pipeline.status().aggregated).toBe(EVENT_COUNT);
    expect(pipeline.status().rejected).toBe(0);
  });

  it('archives every event exactly as it was sent, as gzip NDJSON under the partitioned prefix', async () => {
    // Assess
    const { keys, lines } = await readArchive(pipeline.clients.s3, config.archive.bucketName);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).toMatch(
        /^events\/year=\d{4}\/month=\d{2}\/day=\d{2}\/hour=\d{2}\/streamfold-events-archive-1-.+\.gz$/,
      );
    }
    expect(lines).toHaveLength(EVENT_COUNT);
    expect(new Set(lines)).toEqual(new Set(events.map((event) => JSON.stringify(event))));
  });
});
