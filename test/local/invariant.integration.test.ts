import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/loadConfig.js';
import { parseDuration } from '../../core/duration.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { sampleEventGenerator } from '../../examples/web-shop/sampleEvents.js';
import type { RejectEntry } from '../../functions/aggregate/RejectsSink.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/startLocalPipeline.js';
import { hostileCorpus } from '../fixtures/hostile/hostileCorpus.js';
import { seededRandom } from '../helpers/seededRandom.js';
import { expectedAggregates, expectMatchesGroundTruth } from './groundTruth.js';
import { readAggregates } from './readAggregates.js';

/** Good events put through the producer. */
const EVENT_COUNT = 200_000;
/** Records of poison lines, each wrapped between two good events, put raw (the producer refuses poison). */
const POISON_RECORDS = 200;
/**
 * Longest a shard may have work waiting without its checkpoint moving. Faults make batches
 * retry (runner pauses up to 1 s, SDK backoff, early timeouts), but never for this long.
 */
const MAX_SHARD_STALL_MS = 30_000;

describe('invariant: every fault at once, 200,000 events and poison', () => {
  const config = loadConfig({
    // Small batches: many invocations, so handler faults hit often.
    aggregation: { batchSize: 20 },
    archive: { bufferingInterval: '1s' },
    local: {
      demoRate: 0,
      chaos: {
        handlerCrashRate: 0.1,
        handlerTimeoutRate: 0.05,
        duplicateDeliveryRate: 0.1,
        kinesisThrottleRate: 0.2,
      },
    },
  });
  const good: StreamfoldEvent[] = [];
  const poison: { line: string; code: string }[] = [];
  let pipeline: LocalPipeline;
  let maxStallMs = 0;

  beforeAll(async () => {
    pipeline = await startLocalPipeline({
      config,
      ephemeralPorts: true,
      demoRate: 0,
      chaos: true,
      chaosRandom: seededRandom(2026),
      handlerLogLevel: 'ERROR',
    });
    const stall = watchStalls(pipeline, (ms) => {
      maxStallMs = Math.max(maxStallMs, ms);
    });
    const next = sampleEventGenerator({ source: 'invariant', random: seededRandom(9) });

    // Poison: corpus lines that must be rejected, each between two good events in one record.
    const window = {
      now: Date.now(),
      maxLatenessMs: parseDuration(config.events.maxLateness) ?? 0,
      maxFutureSkewMs: parseDuration(config.events.maxFutureSkew) ?? 0,
    };
    const cases = hostileCorpus(window).filter(
      (c) =>
        c.expect.outcome === 'rejected' &&
        !c.alone &&
        typeof c.line === 'string' &&
        // Times just past an edge of the window drift into it while the test runs.
        (c.expect.code !== 'time_out_of_window' || farOutsideWindow(c.line, window)),
    );
    const records: { Data: Buffer; PartitionKey: string }[] = [];
    for (let i = 0; i < POISON_RECORDS; i++) {
      const hostile = cases[i % cases.length];
      if (!hostile || typeof hostile.line !== 'string' || hostile.expect.outcome !== 'rejected')
        continue;
      const [before, after] = [next(), next()];
      good.push(before, after);
      poison.push({ line: hostile.line, code: hostile.expect.code });
      records.push({
        Data: Buffer.from(`${JSON.stringify(before)}\n${hostile.line}\n${JSON.stringify(after)}\n`),
        PartitionKey: `poison-${i}`,
      });
    }

    // Act: good events in waves through the producer, poison records raw, all through the faults
    const waves = 20;
    for (let wave = 0; wave < waves; wave++) {
      const acks: Promise<unknown>[] = [];
      for (let i = 0; i < EVENT_COUNT / waves; i++) {
        const event = next();
        good.push(event);
        acks.push(pipeline.producer.put(event));
      }
      await putRawRecords(pipeline, config.stream.name, records.slice(wave * 10, wave * 10 + 10));
      await Promise.all(acks);
    }
    await pipeline.waitForDrain(400_000);
    stall.stop();
  }, 600_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('injected every kind of fault', () => {
    for (const [kind, count] of Object.entries(pipeline.status().faults)) {
      expect(count, kind).toBeGreaterThan(0);
    }
  });

  it('counts every acknowledged good event exactly once in every aggregate', async () => {
    const stored = await readAggregates(pipeline.clients.dynamodb, config.table.name);
    expectMatchesGroundTruth(stored, expectedAggregates(config, good));
  });

  it('loses nothing: no batch went to the on-failure destination, the archive holds every line', () => {
    const status = pipeline.status();
    expect(status.sentToOnFailure).toBe(0);
    expect(status.archivedEvents).toBe(EVENT_COUNT + 3 * POISON_RECORDS);
  });

  it('has every poison line in the rejects sink with its reason', async () => {
    const rejects = await readRejects(
      pipeline,
      config.rejects.bucketName,
      config.rejects.rejectsPrefix,
    );
    for (const { line, code } of poison) {
      const entry = rejects.get(line.slice(0, REJECT_KEY_CHARS));
      expect(entry?.reason.code, line.slice(0, 80)).toBe(code);
      expect(entry?.reason.message.length).toBeGreaterThan(0);
    }
  });

  it(`never let a shard stall longer than ${MAX_SHARD_STALL_MS / 1_000} s`, () => {
    expect(maxStallMs).toBeLessThanOrEqual(MAX_SHARD_STALL_MS);
  });
});

/** Puts records as they are (no validation), re-sending refused entries until all are in. */
async function putRawRecords(
  pipeline: LocalPipeline,
  streamName: string,
  records: { Data: Buffer; PartitionKey: string }[],
): Promise<void> {
  let pending = records;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 50) throw new Error('raw PutRecords kept failing');
    const result = await pipeline.clients.kinesis
      .send(new PutRecordsCommand({ StreamName: streamName, Records: pending }))
      .catch(() => undefined);
    if (result) pending = pending.filter((_, i) => result.Records?.[i]?.ErrorCode !== undefined);
    if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Rejects keep the raw line cut to 64 KiB, so lines are compared by that much of them. */
const REJECT_KEY_CHARS = 64 * 1024;

/** Whether a line's `time` lies more than an hour outside the acceptance window. */
function farOutsideWindow(
  line: string,
  window: { now: number; maxLatenessMs: number; maxFutureSkewMs: number },
): boolean {
  const time = Date.parse(String((JSON.parse(line) as { time?: unknown }).time));
  const hour = 3_600_000;
  return (
    Number.isNaN(time) ||
    time < window.now - window.maxLatenessMs - hour ||
    time > window.now + window.maxFutureSkewMs + hour
  );
}

/** Every reject entry in the sink, by the start of its raw line. */
async function readRejects(
  pipeline: LocalPipeline,
  bucket: string,
  prefix: string,
): Promise<Map<string, RejectEntry>> {
  const entries = new Map<string, RejectEntry>();
  let token: string | undefined;
  do {
    const page = await pipeline.clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      const body = await pipeline.clients.s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: object.Key }),
      );
      const text = await (
        body.Body as { transformToString(): Promise<string> }
      ).transformToString();
      for (const line of text.split('\n').filter(Boolean)) {
        const entry = JSON.parse(line) as RejectEntry;
        entries.set(entry.raw.slice(0, REJECT_KEY_CHARS), entry);
      }
    }
    token = page.NextContinuationToken;
  } while (token);
  return entries;
}

/** Samples the shards every 250 ms and reports how long one has had work without its checkpoint moving. */
function watchStalls(pipeline: LocalPipeline, report: (stallMs: number) => void): { stop(): void } {
  const since = new Map<string, { checkpoint: string | undefined; at: number }>();
  const timer = setInterval(() => {
    const now = Date.now();
    for (const shard of pipeline.shardProgress()) {
      const seen = since.get(shard.shardId);
      if (shard.caughtUp && !shard.invoking) {
        since.set(shard.shardId, { checkpoint: shard.checkpoint, at: now });
      } else if (!seen || seen.checkpoint !== shard.checkpoint) {
        since.set(shard.shardId, { checkpoint: shard.checkpoint, at: now });
      } else {
        report(now - seen.at);
      }
    }
  }, 250);
  return { stop: () => clearInterval(timer) };
}
