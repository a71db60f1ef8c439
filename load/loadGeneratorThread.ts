/**
 * Worker-thread entry of {@link LoadGenerator}: generates sample events and
 * puts them through a `KinesisProducer` of its own, so event generation,
 * validation, packing and the PutRecords calls run on their own event loop
 * instead of competing with the pipeline they feed (the embedded target runs
 * the handler in the main thread).
 *
 * Protocol: the setup arrives as `workerData` ({@link LoadGeneratorSetup});
 * the thread posts `{ type: 'ready' }`, then answers each
 * `{ type: 'run', run }` with `progress` messages and one `done` (or
 * `failed`) message.
 */
import { readlinkSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { type AggregateFigures, GroundTruth } from '../core/aggregates/GroundTruth.js';
import type { StreamfoldConfig } from '../core/config/configSchema.js';
import type { ConfigSource } from '../core/config/configSource.js';
import { loadConfigFile } from '../core/config/loadConfig.js';
import { createAwsClients } from '../local/awsClients.js';
import { KinesisProducer, type ProducerStatsSnapshot } from '../producers/KinesisProducer.js';
import type { PackingMode } from '../producers/RecordDraft.js';
import type { KeySkew } from './KeySampler.js';
import { type LoadProgress, type LoadRunResult, runLoadTest } from './runLoadTest.js';

/** Where the stream is. */
export type KinesisConnection =
  /** A local endpoint (an emulator, or `local.endpoints.kinesis`): local credentials, HTTP/1.1. */
  | { endpoint: string; region: string }
  /** AWS, with the default credential chain; the region from the environment when omitted. */
  | { endpoint?: undefined; region: string | undefined };

/** What {@link LoadGenerator.start} is given. */
export interface LoadGeneratorOptions {
  kinesis: KinesisConnection;
  streamName: string;
  /**
   * The configuration: its catalog and sample events make the events, its
   * metrics and windows the ground truth. It must have been loaded from a file.
   */
  config: StreamfoldConfig;
}

/**
 * What the thread is started with: the configuration travels as where it was
 * loaded from (its zod schemas and functions cannot be copied to a thread).
 */
export interface LoadGeneratorSetup extends Omit<LoadGeneratorOptions, 'config'> {
  configSource: ConfigSource;
}

/** One run: a rate held for a duration through a fresh producer. */
export interface LoadGeneratorRun {
  /** Events per second. */
  rate: number;
  durationSeconds: number;
  /** Distinct partition keys and how they are drawn. */
  keys: number;
  skew: KeySkew;
  /** The events' `source`. */
  source: string;
  packing: PackingMode;
  /**
   * Pace the producer to Kinesis's per-shard write limits (1 MiB/s and
   * 1,000 records/s per shard). Off against kinesalite, which enforces none.
   */
  pacing: boolean;
  /** Events the producer may hold before `put()` waits. */
  maxBufferedEvents: number;
  /** How often progress is posted, ms. */
  progressIntervalMs: number;
  /** Compute the aggregates the acknowledged events must produce (for `--verify`). */
  groundTruth: boolean;
}

/** A progress reading, with the wall-clock time it was taken and the producer's buffer. */
export interface LoadGeneratorProgress extends LoadProgress {
  /** Epoch milliseconds (`performance.timeOrigin + performance.now()`), comparable across threads. */
  at: number;
  bufferedEvents: number;
  recordsRetried: number;
}

/** What a run did. */
export interface LoadGeneratorResult {
  /** Epoch milliseconds of the run's first put. */
  startedAt: number;
  run: LoadRunResult;
  stats: ProducerStatsSnapshot;
  /** Expected aggregates by `pk|sk`, when `groundTruth` was asked for. */
  truth: Map<string, AggregateFigures> | undefined;
}

/** Messages the thread posts. */
export type LoadGeneratorMessage =
  | { type: 'ready'; osThreadId: number | undefined }
  | { type: 'progress'; progress: LoadGeneratorProgress }
  | { type: 'done'; result: LoadGeneratorResult }
  | { type: 'failed'; message: string };

/** Messages the thread takes. */
export type LoadGeneratorCommand = { type: 'run'; run: LoadGeneratorRun };

const setup = workerData as LoadGeneratorSetup;
const port = parentPort;
if (!port) throw new Error('loadGeneratorThread.ts runs as a worker thread only');
const { config } = await loadConfigFile(setup.configSource.file, setup.configSource.overrides);
const client = kinesisClientFor(setup.kinesis);
const post = (message: LoadGeneratorMessage) => port.postMessage(message);
const epochNow = () => performance.timeOrigin + performance.now();

port.on('message', (command: LoadGeneratorCommand) => {
  if (command.type !== 'run') return;
  runOnce(command.run).then(
    (result) => post({ type: 'done', result }),
    (error: unknown) =>
      post({
        type: 'failed',
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }),
  );
});
post({ type: 'ready', osThreadId: osThreadId() });

async function runOnce(run: LoadGeneratorRun): Promise<LoadGeneratorResult> {
  const producer = new KinesisProducer({
    client,
    streamName: setup.streamName,
    catalog: config.catalog,
    packing: run.packing,
    ...(run.pacing ? {} : { rateLimit: false as const }),
    maxBufferedEvents: run.maxBufferedEvents,
    statsIntervalMs: 0,
  });
  const truth = run.groundTruth ? new GroundTruth(config) : undefined;
  const startedAt = epochNow();
  try {
    const result = await runLoadTest(producer, truth, {
      sampleEvents: config.sampleEvents,
      rate: run.rate,
      durationSeconds: run.durationSeconds,
      keys: run.keys,
      skew: run.skew,
      source: run.source,
      progressIntervalMs: run.progressIntervalMs,
      onProgress: (progress) => {
        const stats = producer.snapshot();
        post({
          type: 'progress',
          progress: {
            ...progress,
            at: epochNow(),
            bufferedEvents: stats.bufferedEvents,
            recordsRetried: stats.recordsRetried,
          },
        });
      },
    });
    return { startedAt, run: result, stats: producer.snapshot(), truth: truth?.items };
  } finally {
    await producer.close();
  }
}

function kinesisClientFor(connection: KinesisConnection): KinesisClient {
  if (connection.endpoint === undefined) {
    return new KinesisClient(connection.region ? { region: connection.region } : {});
  }
  const { endpoint, region } = connection;
  return createAwsClients({ kinesis: endpoint, dynamodb: endpoint, s3: endpoint }, region).kinesis;
}

/** This thread's id in the operating system (Linux), so its CPU time can be read from `/proc`. */
function osThreadId(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').at(-1));
  } catch {
    // No /proc (not Linux): the CPU time of the thread is simply not reported.
    return undefined;
  }
}
