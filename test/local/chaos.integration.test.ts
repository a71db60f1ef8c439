import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { sampleEventGenerator } from '../../examples/web-shop/sampleEvents.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/startLocalPipeline.js';
import { seededRandom } from '../helpers/seededRandom.js';
import { expectedAggregates, expectMatchesGroundTruth } from './groundTruth.js';
import { readAggregates } from './readAggregates.js';

const EVENT_COUNT = 12_000;
const WAVES = 40;

describe('local pipeline with every chaos fault on', () => {
  // Records hold ~100 events each: batches of 2 records and raised handler-fault rates make
  // every handler fault happen many times in a few hundred invocations.
  const config = loadConfig({
    aggregation: { batchSize: 4 },
    archive: { bufferingInterval: '1s' },
    local: {
      demoRate: 0,
      chaos: {
        handlerCrashRate: 0.15,
        handlerTimeoutRate: 0.1,
        duplicateDeliveryRate: 0.15,
        // Packed records mean few PutRecords calls: raise the call-level rate so it fires.
        kinesisThrottleRate: 0.3,
      },
    },
  });
  const events: StreamfoldEvent[] = [];
  let pipeline: LocalPipeline;

  beforeAll(async () => {
    // Prepare
    pipeline = await startLocalPipeline({
      config,
      ephemeralPorts: true,
      demoRate: 0,
      chaos: true,
      chaosRandom: seededRandom(11),
      // Under chaos the handler warns about every failed update; the counters tell the story.
      handlerLogLevel: 'ERROR',
    });
    const next = sampleEventGenerator({ source: 'chaos-test', random: seededRandom(5) });

    // Act: put in waves, so producer faults meet handler faults
    // Each wave waits for its acknowledgements, so there are at least as many PutRecords calls
    // (and partly filled records, hence invocations) as waves: every fault gets its chances.
    for (let wave = 0; wave < WAVES; wave++) {
      const acks: Promise<unknown>[] = [];
      for (let i = 0; i < EVENT_COUNT / WAVES; i++) {
        const event = next();
        events.push(event);
        acks.push(pipeline.producer.put(event));
      }
      await Promise.all(acks);
    }
    await pipeline.waitForDrain(150_000);
  }, 240_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('injects every kind of fault', () => {
    const { faults } = pipeline.status();
    for (const [kind, count] of Object.entries(faults)) expect(count, kind).toBeGreaterThan(0);
  });

  it('still counts every acknowledged event exactly once in every aggregate', async () => {
    const stored = await readAggregates(pipeline.clients.dynamodb, config.table.name);
    expectMatchesGroundTruth(stored, expectedAggregates(config, events));
  });

  it('loses nothing to the on-failure destination and rejects nothing', () => {
    expect(pipeline.status()).toMatchObject({
      sentToOnFailure: 0,
      rejected: 0,
      produced: EVENT_COUNT,
    });
    expect(pipeline.status().archivedEvents).toBe(EVENT_COUNT);
  });
});
