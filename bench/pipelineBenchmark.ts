import { performance } from 'node:perf_hooks';
import { encodeEventLine } from '../core/codec/ndjsonCodec.js';
import type { StreamfoldConfig } from '../core/config/configSchema.js';
import { sampleEventGenerator } from '../examples/web-shop/sampleEvents.js';
import { LoadGenerator } from '../load/LoadGenerator.js';
import type { LoadGeneratorResult, LoadGeneratorRun } from '../load/loadGeneratorThread.js';
import { type LocalPipeline, startLocalPipeline } from '../local/startLocalPipeline.js';
import { SHARD_WRITE_LIMITS } from '../producers/KinesisProducer.js';
import type { PackingMode } from '../producers/RecordDraft.js';
import { cpuSecondsOf } from './cpuSecondsOf.js';
import { judgeSustained, SUSTAINED_LIMITS } from './judgeSustained.js';
import { type CountSample, matchCountLatencies } from './matchCountLatencies.js';
import { median } from './measure.js';
import { processTreeRss } from './processTreeRss.js';

/** How often the generator reports its put count, ms. */
const PUT_SAMPLE_MS = 50;
/** How often the folded count is read, ms. */
const FOLD_SAMPLE_MS = 50;
/** How often the RSS of the process tree is read, ms. */
const RSS_SAMPLE_MS = 500;
/** How long a phase's backlog may take to drain before the phase is reported as not drained, ms. */
const DRAIN_TIMEOUT_MS = 20_000;
/** The warm-up: JIT, connections, the first shard iterators. Not reported. */
const WARM_UP = { rate: 5_000, seconds: 3 } as const;
/** Producer buffer, in seconds of offered load, as `npm run load` gives it. */
const BUFFER_SECONDS = 2;
/** Distinct partition keys, drawn evenly: the load test's default. */
const PARTITION_KEYS = 10_000;

/** Share of one core each part of the pipeline used during a phase (1 = a whole core). */
export interface PipelineCpuShares {
  /** The pipeline's main thread: event source mapping, handler, archiver, HTTP server. */
  handlerThread: number;
  /** The load generator's worker thread: event generation, validation, packing, PutRecords. */
  generatorThread: number;
  /** The pipeline process's other threads: garbage collection, gzip and file I/O in the thread pool. */
  otherThreads: number;
  kinesalite: number;
  dynalite: number;
  s3rver: number;
}

/** One offered rate held for a while. */
export interface PipelinePhaseResult {
  packing: PackingMode;
  offeredPerSecond: number;
  /** Seconds the generator put events for. */
  seconds: number;
  /** Events handed to the producer per second. */
  putPerSecond: number;
  /** Events folded by the handler per second while events were put. */
  aggregatedPerSecond: number;
  /** Events put but not yet folded when production stopped. */
  backlogAtEnd: number;
  /** `backlogAtEnd` in seconds of the offered rate. */
  backlogSecondsAtEnd: number;
  /** Most events put but not yet folded at any sample. */
  maxBacklog: number;
  /** Seconds after production stopped until every event put was folded; undefined if not within 20 s. */
  drainSeconds: number | undefined;
  /** Produce-to-aggregate latency, ms, by matching counts. */
  latencyP50Ms: number | undefined;
  latencyP99Ms: number | undefined;
  /** Time from `put()` to Kinesis's acknowledgement, p99, ms. */
  ackLatencyP99Ms: number;
  /** See `judgeSustained`: bounded backlog, drained in time, the offered rate put. */
  sustained: boolean;
  /** `'sustained'`, or the bounds the phase broke. */
  verdict: string;
  /** CPU by part while events were put; undefined without `/proc`. */
  cpu: PipelineCpuShares | undefined;
  /** Median and largest RSS of this process and its children (the emulators), bytes. */
  rssMedianBytes: number | undefined;
  rssMaxBytes: number | undefined;
  /** Median RSS of each process, bytes: this one (handler, generator thread, archiver) and each emulator's. */
  rssMedianByProcess: RssByProcess | undefined;
  /** Events put since the pipeline started, by the end of the phase: what kinesalite holds in memory. */
  eventsInStream: number;
}

/** Resident memory of each process of the local pipeline, bytes. */
export interface RssByProcess {
  /** The pipeline process with its threads: handler, archiver, load generator. */
  pipeline: number;
  kinesalite: number;
  dynalite: number;
  s3rver: number;
}

/** Options of {@link runPipelineBenchmark}. */
export interface PipelineBenchmarkOptions {
  config: StreamfoldConfig;
  /** Offered rates, events/s; every one is run, in order. */
  rates: readonly number[];
  /** Seconds each rate is held. */
  seconds: number;
  /**
   * Also offer one event per record (no packing), at the record rate the
   * stream's shards take on AWS (1,000 records/s each): an unpacked producer
   * cannot go faster there, whatever the local emulator allows.
   */
  naive: boolean;
  onProgress?: (message: string) => void;
}

/** Result of {@link runPipelineBenchmark}. */
export interface PipelineBenchmarkResult {
  shards: number;
  /** Distinct partition keys the generator draws from, evenly. */
  partitionKeys: number;
  /** The event source mapping's batching window, as configured (`'1s'`). */
  batchingWindow: string;
  averageEventBytes: number;
  phases: PipelinePhaseResult[];
}

/**
 * End to end on one machine: `startLocalPipeline` (each emulator in a child
 * process of its own, the event source mapping running the real handler
 * module, the archiver; no demo producer) fed sample web-shop events at each
 * offered rate by a `LoadGenerator`: a worker thread with its own
 * `KinesisProducer`, without AWS's per-shard pacing (kinesalite enforces no
 * shard limits; on AWS each shard takes 1 MiB/s and 1,000 records/s). Every
 * rate is run, whatever the one before it did.
 *
 * A rate is judged by its backlog (see `judgeSustained`): events put but not
 * yet folded when production stops, and how long they take to drain.
 *
 * Latency is measured by matching counts (see `matchCountLatencies`): the
 * generator reports its put count every 50 ms and the driver reads the
 * handler's folded count (`eventsFolded`) every 50 ms.
 */
export async function runPipelineBenchmark(
  options: PipelineBenchmarkOptions,
): Promise<PipelineBenchmarkResult> {
  const pipeline = await startLocalPipeline({
    config: options.config,
    ephemeralPorts: true,
    demoRate: 0,
    handlerLogLevel: 'ERROR',
    onNotice: (message) => options.onProgress?.(`pipeline: ${message}`),
  });
  const phases: PipelinePhaseResult[] = [];
  try {
    const generator = await LoadGenerator.start({
      kinesis: { endpoint: pipeline.endpoints.kinesis, region: options.config.local.region },
      streamName: options.config.stream.name,
      config: options.config,
    });
    try {
      options.onProgress?.(
        `end to end: warm-up, ${WARM_UP.rate.toLocaleString('en-US')} events/s for ${WARM_UP.seconds} s…`,
      );
      const warmUp = await runPhase(pipeline, generator, 'ndjson', WARM_UP.rate, WARM_UP.seconds);
      let eventsInStream = warmUp.putPerSecond * warmUp.seconds;
      const plan: { packing: PackingMode; rate: number }[] = options.rates.map((rate) => ({
        packing: 'ndjson',
        rate,
      }));
      if (options.naive) {
        plan.push({
          packing: 'none',
          rate: options.config.stream.shardCount * SHARD_WRITE_LIMITS.recordsPerSecond,
        });
      }
      for (const { packing, rate } of plan) {
        options.onProgress?.(
          `end to end: ${rate.toLocaleString('en-US')} events/s offered for ${options.seconds} s (${packing})…`,
        );
        const phase = await runPhase(pipeline, generator, packing, rate, options.seconds);
        eventsInStream += phase.putPerSecond * phase.seconds;
        phase.eventsInStream = Math.round(eventsInStream);
        options.onProgress?.(
          `  put ${Math.round(phase.putPerSecond)}/s, backlog at end ${phase.backlogSecondsAtEnd.toFixed(1)} s, ` +
            `drain ${phase.drainSeconds?.toFixed(1) ?? '–'} s: ${phase.verdict}`,
        );
        phases.push(phase);
      }
    } finally {
      await generator.stop();
    }
  } finally {
    await pipeline.stop();
  }
  return {
    shards: options.config.stream.shardCount,
    partitionKeys: PARTITION_KEYS,
    batchingWindow: options.config.aggregation.maxBatchingWindow,
    averageEventBytes: averageEventBytes(),
    phases,
  };
}

async function runPhase(
  pipeline: LocalPipeline,
  generator: LoadGenerator,
  packing: PackingMode,
  rate: number,
  seconds: number,
): Promise<PipelinePhaseResult> {
  const epochNow = () => performance.timeOrigin + performance.now();
  const foldedAtStart = pipeline.status().aggregated;
  const puts: CountSample[] = [];
  const folds: CountSample[] = [];
  const rss: number[] = [];
  const rssByProcess: RssByProcess[] = [];
  let put = 0;
  let maxBacklog = 0;
  const sampleFolded = () => {
    const folded = pipeline.status().aggregated - foldedAtStart;
    folds.push({ at: epochNow(), count: folded });
    maxBacklog = Math.max(maxBacklog, put - folded);
    return folded;
  };
  const { kinesis, dynamodb, s3 } = pipeline.emulatorPids;
  const rssOf = (pid: number | undefined) => (pid === undefined ? 0 : (processTreeRss(pid) ?? 0));
  const sampleRss = () => {
    const bytes = processTreeRss();
    if (bytes === undefined) return;
    rss.push(bytes);
    const emulators = { kinesalite: rssOf(kinesis), dynalite: rssOf(dynamodb), s3rver: rssOf(s3) };
    rssByProcess.push({
      pipeline: bytes - emulators.kinesalite - emulators.dynalite - emulators.s3rver,
      ...emulators,
    });
  };
  const cpu = new CpuMeter(pipeline, generator);
  let cpuUsed: PipelineCpuShares | undefined;
  const run: LoadGeneratorRun = {
    rate,
    durationSeconds: seconds,
    keys: PARTITION_KEYS,
    skew: { kind: 'uniform' },
    source: 'bench',
    packing,
    pacing: false,
    maxBufferedEvents: Math.max(10_000, Math.ceil(rate * BUFFER_SECONDS)),
    progressIntervalMs: PUT_SAMPLE_MS,
    groundTruth: false,
  };
  const foldTimer = setInterval(sampleFolded, FOLD_SAMPLE_MS);
  const rssTimer = setInterval(sampleRss, RSS_SAMPLE_MS);
  let result: LoadGeneratorResult;
  try {
    result = await generator.run(run, (progress) => {
      put = progress.put;
      if (progress.phase === 'generating') puts.push({ at: progress.at, count: progress.put });
      // Production has stopped: what each part used while it ran.
      else cpuUsed ??= cpu.shares();
    });
    cpuUsed ??= cpu.shares();
  } finally {
    clearInterval(rssTimer);
  }
  const startedAt = result.startedAt;
  const endedAt = startedAt + result.run.generatingMs;
  puts.unshift({ at: startedAt, count: 0 });
  puts.push({ at: endedAt, count: result.run.put });
  const foldedAtEnd = countAt(folds, endedAt);

  // Drained: every acknowledged event folded. Timed from the end of production.
  let drainSeconds: number | undefined;
  try {
    const deadline = epochNow() + DRAIN_TIMEOUT_MS;
    while (sampleFolded() < result.run.acknowledged) {
      if (epochNow() > deadline) throw new Error('not drained');
      await new Promise((resolve) => setTimeout(resolve, FOLD_SAMPLE_MS));
    }
    const drainedAt = (folds.find((f) => f.count >= result.run.acknowledged) as CountSample).at;
    drainSeconds = Math.max(0, drainedAt - endedAt) / 1_000;
  } catch {
    drainSeconds = undefined;
  } finally {
    clearInterval(foldTimer);
  }
  // The archiver and any stragglers catch up before the next phase starts.
  await pipeline.waitForDrain(60_000);

  const generatingSeconds = result.run.generatingMs / 1_000;
  const latencies = matchCountLatencies(puts, folds);
  const putPerSecond = result.run.put / generatingSeconds;
  const backlogAtEnd = result.run.put - foldedAtEnd;
  const judgement = judgeSustained(
    { offeredPerSecond: rate, putPerSecond, backlogAtEnd, drainSeconds },
    SUSTAINED_LIMITS,
  );
  return {
    packing,
    offeredPerSecond: rate,
    seconds: generatingSeconds,
    putPerSecond,
    aggregatedPerSecond: foldedAtEnd / generatingSeconds,
    backlogAtEnd,
    backlogSecondsAtEnd: backlogAtEnd / rate,
    maxBacklog,
    drainSeconds,
    latencyP50Ms: latencies.quantile(0.5),
    latencyP99Ms: latencies.quantile(0.99),
    ackLatencyP99Ms: result.stats.ackLatencyMs.p99,
    sustained: judgement.sustained,
    verdict: judgement.reason,
    cpu: cpuUsed,
    rssMedianBytes: rss.length > 0 ? median(rss) : undefined,
    rssMaxBytes: rss.length > 0 ? Math.max(...rss) : undefined,
    rssMedianByProcess:
      rssByProcess.length > 0
        ? {
            pipeline: median(rssByProcess.map((r) => r.pipeline)),
            kinesalite: median(rssByProcess.map((r) => r.kinesalite)),
            dynalite: median(rssByProcess.map((r) => r.dynalite)),
            s3rver: median(rssByProcess.map((r) => r.s3rver)),
          }
        : undefined,
    eventsInStream: 0,
  };
}

/** The count at `at`: that of the last sample taken at or before it. */
function countAt(samples: readonly CountSample[], at: number): number {
  let count = 0;
  for (const sample of samples) {
    if (sample.at > at) break;
    count = sample.count;
  }
  return count;
}

/** CPU seconds of each part since construction, as shares of a core. */
class CpuMeter {
  readonly #read: () => Record<keyof PipelineCpuShares, number | undefined>;
  readonly #start: Record<keyof PipelineCpuShares, number | undefined>;
  readonly #startedAt = performance.now();

  public constructor(pipeline: LocalPipeline, generator: LoadGenerator) {
    const { pid } = process;
    const { kinesis, dynamodb, s3 } = pipeline.emulatorPids;
    this.#read = () => {
      const handlerThread = cpuSecondsOf(pid, pid);
      const generatorThread =
        generator.osThreadId === undefined ? undefined : cpuSecondsOf(pid, generator.osThreadId);
      const processTotal = cpuSecondsOf(pid);
      return {
        handlerThread,
        generatorThread,
        otherThreads:
          processTotal === undefined || handlerThread === undefined
            ? undefined
            : processTotal - handlerThread - (generatorThread ?? 0),
        kinesalite: kinesis === undefined ? undefined : cpuSecondsOf(kinesis),
        dynalite: dynamodb === undefined ? undefined : cpuSecondsOf(dynamodb),
        s3rver: s3 === undefined ? undefined : cpuSecondsOf(s3),
      };
    };
    this.#start = this.#read();
  }

  /** Shares of a core since construction; undefined where `/proc` has nothing. */
  public shares(): PipelineCpuShares | undefined {
    const seconds = (performance.now() - this.#startedAt) / 1_000;
    const now = this.#read();
    if (now.handlerThread === undefined) return undefined;
    const share = (part: keyof PipelineCpuShares) => {
      const end = now[part];
      const start = this.#start[part];
      return end === undefined || start === undefined ? 0 : (end - start) / seconds;
    };
    return {
      handlerThread: share('handlerThread'),
      generatorThread: share('generatorThread'),
      otherThreads: share('otherThreads'),
      kinesalite: share('kinesalite'),
      dynalite: share('dynalite'),
      s3rver: share('s3rver'),
    };
  }
}

/** Mean encoded size of the sample events the generator sends, bytes. */
function averageEventBytes(): number {
  const next = sampleEventGenerator({ source: 'bench' });
  let bytes = 0;
  const count = 1_000;
  for (let i = 0; i < count; i++) bytes += encodeEventLine(next()).length;
  return bytes / count;
}
