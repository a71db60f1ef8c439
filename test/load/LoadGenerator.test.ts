import { CreateStreamCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/loadConfig.js';
import { LoadGenerator } from '../../load/LoadGenerator.js';
import type { LoadGeneratorProgress, LoadGeneratorRun } from '../../load/loadGeneratorThread.js';
import type { AwsClients } from '../../local/awsClients.js';
import type { RunningEmulators } from '../../local/emulators/startEmulators.js';
import { startTestEmulators } from '../helpers/testEmulators.js';

const config = loadConfig();
const STREAM = 'load-generator-test';
let emulators: RunningEmulators;
let clients: AwsClients;
let generator: LoadGenerator;

/** One second of 2,000 events/s; tests change what they look at. */
function run(overrides: Partial<LoadGeneratorRun> = {}): LoadGeneratorRun {
  return {
    rate: 2_000,
    durationSeconds: 1,
    keys: 100,
    skew: { kind: 'uniform' },
    source: 'load-generator-test',
    packing: 'ndjson',
    pacing: false,
    maxBufferedEvents: 4_000,
    progressIntervalMs: 50,
    groundTruth: false,
    ...overrides,
  };
}

beforeAll(async () => {
  ({ emulators, clients } = await startTestEmulators({ kinesis: true }));
  await clients.kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 2 }));
  while (
    (await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM })))
      .StreamDescriptionSummary?.StreamStatus !== 'ACTIVE'
  ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  generator = await LoadGenerator.start({
    kinesis: { endpoint: `http://127.0.0.1:${emulators.ports.kinesis}`, region: 'us-east-1' },
    streamName: STREAM,
    config,
  });
});

afterAll(async () => {
  await generator?.stop();
  await emulators?.stop();
});

describe('LoadGenerator', () => {
  it('puts the events of a run from a thread of its own and reports its progress', async () => {
    // Prepare
    const progress: LoadGeneratorProgress[] = [];

    // Act
    const result = await generator.run(run(), (p) => progress.push(p));

    // Assess
    expect(result.run).toMatchObject({ put: 2_000, acknowledged: 2_000, failed: 0 });
    expect(result.stats.eventsAcknowledged).toBe(2_000);
    expect(result.truth).toBeUndefined();
    expect(progress.length).toBeGreaterThan(5);
    const puts = progress.map((p) => p.put);
    expect(puts).toEqual([...puts].sort((a, b) => a - b));
    expect(progress.every((p) => p.at >= result.startedAt)).toBe(true);
    expect(generator.osThreadId).toBeTypeOf('number');
    expect(generator.osThreadId).not.toBe(process.pid);
  });

  it('returns the aggregates the acknowledged events must produce when asked', async () => {
    // Act
    const result = await generator.run(run({ rate: 500, groundTruth: true }));

    // Assess: every event counts once in the events metric's day item of its type
    const counted = [...(result.truth?.entries() ?? [])]
      .filter(([key]) => key.startsWith('events#') && key.includes('|1d#'))
      .reduce((sum, [, item]) => sum + item.count, 0);
    expect(counted).toBe(500);
  });

  it('refuses a second run while one is going', async () => {
    // Prepare
    const first = generator.run(run({ rate: 200 }));

    // Act + Assess
    await expect(generator.run(run())).rejects.toThrow('a load generator run is already going');
    await expect(first).resolves.toMatchObject({ run: { put: 200 } });
  });

  it('fails the run, naming the cause, when the stream does not exist', async () => {
    // Prepare
    const lost = await LoadGenerator.start({
      kinesis: { endpoint: `http://127.0.0.1:${emulators.ports.kinesis}`, region: 'us-east-1' },
      streamName: 'no-such-stream',
      config,
    });
    try {
      // Act
      const result = await lost.run(run({ rate: 100 }));

      // Assess
      expect(result.run.failed).toBe(100);
      expect(result.run.failureSamples[0]).toMatch(/no-such-stream|not found|ResourceNotFound/i);
    } finally {
      await lost.stop();
    }
  });

  it('refuses runs once stopped', async () => {
    // Prepare
    const stopped = await LoadGenerator.start({
      kinesis: { endpoint: `http://127.0.0.1:${emulators.ports.kinesis}`, region: 'us-east-1' },
      streamName: STREAM,
      config,
    });

    // Act
    await stopped.stop();

    // Assess
    await expect(stopped.run(run())).rejects.toThrow('the load generator was stopped');
  });
});
