import { performance } from 'node:perf_hooks';
import { encodeEventLine } from '../core/codec/ndjsonCodec.js';
import type { StreamfoldConfig } from '../core/config/configSchema.js';
import { sampleEventGenerator } from '../core/events/sampleEvents.js';
import { startLocalPipeline } from '../local/startLocalPipeline.js';
import { KinesisProducer } from '../producers/KinesisProducer.js';
import type { PackingMode } from '../producers/RecordDraft.js';
import { median, quantile } from './measure.js';
import { processTreeRss } from './processTreeRss.js';

/** How often the driver puts events and samples the pipeline, ms. */
const TICK_MS = 50;

/** One offered rate held for a while. */
export interface PipelinePhaseResult {
  packing: PackingMode;
  offeredPerSecond: number;
  seconds: number;
  /** Events handed to the producer per second. */
  putPerSecond: number;
  /** Events folded by the handler per second during the phase. */
  aggregatedPerSecond: number;
  /** Events put but not yet aggregated when the phase ended. */
  backlogAtEnd: number;
  /** Most events put but not yet folded at any sample. */
  maxBacklog: number;
  /** Events folded per second over the second half of the phase (past the start-up delay). */
  steadyAggregatedPerSecond: number;
  /** Seconds after the phase until everything was aggregated and archived; undefined if it did not drain. */
  drainSeconds: number | undefined;
  latencyP50Ms: number | undefined;
  latencyP99Ms: number | undefined;
  /**
   * Whether the rate was sustained: over the second half of the phase the
   * handler folded at least 95 % of the offered rate, and the backlog drained
   * within 10 s after the phase.
   */
  sustained: boolean;
  /** Median and largest RSS of this process and its children (the emulators), bytes. */
  rssMedianBytes: number | undefined;
  rssMaxBytes: number | undefined;
}

/** Options of {@link runPipelineBenchmark}. */
export interface PipelineBenchmarkOptions {
  config: StreamfoldConfig;
  /** Offered rates, events/s, tried in order until one is not sustained. */
  rates: readonly number[];
  /** Seconds each rate is held. */
  seconds: number;
  /** Also offer the first rate with one event per record (no packing). */
  naive: boolean;
  onProgress?: (message: string) => void;
}

/** Result of {@link runPipelineBenchmark}. */
export interface PipelineBenchmarkResult {
  shards: number;
  averageEventBytes: number;
  phases: PipelinePhaseResult[];
}

/**
 * End-to-end on one machine: `startLocalPipeline` (emulators in a child
 * process, the event source mapping running the real handler module, the
 * archiver; no demo producer) fed sample web-shop events at each offered rate
 * by a `KinesisProducer` without AWS's per-shard pacing (kinesalite does not
 * enforce shard limits; on AWS each shard takes 1 MiB/s and 1,000 records/s).
 *
 * Latency is measured by matching counts: every 50 ms the driver notes how
 * many events it has put and how many the handler has folded (its
 * `eventsFolded` total). The k-th folded event is taken to be the k-th put
 * one, so its produce-to-aggregate latency is the time between the sample at
 * which the folded count reached k and the time the k-th event was put. That
 * is exact for one shard and FIFO order; with several shards it averages
 * over them.
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
  const next = sampleEventGenerator({ source: 'bench' });
  let eventBytes = 0;
  let eventCount = 0;
  const phases: PipelinePhaseResult[] = [];
  try {
    const plan: { packing: PackingMode; rate: number }[] = options.rates.map((rate) => ({
      packing: 'ndjson',
      rate,
    }));
    if (options.naive && options.rates[0] !== undefined) {
      plan.push({ packing: 'none', rate: options.rates[0] });
    }
    let ndjsonFailed = false;
    // Warm-up, not reported: JIT, connections and the first shard iterators.
    {
      options.onProgress?.('end to end: warm-up, 1,000 events/s for 3 s…');
      const producer = new KinesisProducer({
        client: pipeline.clients.kinesis,
        streamName: options.config.stream.name,
        rateLimit: false,
        statsIntervalMs: 0,
      });
      await runPhase(pipeline, producer, 1_000, 3, () => next());
      await producer.close();
    }
    for (const { packing, rate } of plan) {
      if (packing === 'ndjson' && ndjsonFailed) continue;
      options.onProgress?.(
        `end to end: ${rate} events/s offered for ${options.seconds} s (${packing})…`,
      );
      const producer = new KinesisProducer({
        client: pipeline.clients.kinesis,
        streamName: options.config.stream.name,
        packing,
        rateLimit: false,
        statsIntervalMs: 0,
        maxBufferedEvents: 200_000,
      });
      const phase = await runPhase(pipeline, producer, rate, options.seconds, () => {
        const event = next();
        eventBytes += encodeEventLine(event).length;
        eventCount++;
        return event;
      });
      await producer.close();
      phases.push({ ...phase, packing });
      if (packing === 'ndjson' && !phase.sustained) ndjsonFailed = true;
    }
  } finally {
    await pipeline.stop();
  }
  return {
    shards: options.config.stream.shardCount,
    averageEventBytes: eventBytes / Math.max(1, eventCount),
    phases,
  };
}

async function runPhase(
  pipeline: Awaited<ReturnType<typeof startLocalPipeline>>,
  producer: KinesisProducer,
  rate: number,
  seconds: number,
  makeEvent: () => ReturnType<ReturnType<typeof sampleEventGenerator>>,
): Promise<Omit<PipelinePhaseResult, 'packing'>> {
  const aggregatedAtStart = pipeline.status().aggregated;
  const putTimes: number[] = [];
  const latencies: number[] = [];
  const rss: number[] = [];
  let maxBacklog = 0;
  let matched = 0;
  const sample = () => {
    const now = performance.now();
    const folded = pipeline.status().aggregated - aggregatedAtStart;
    // Every event folded since the last sample reached the aggregates by now.
    while (matched < folded && matched < putTimes.length) {
      latencies.push(now - (putTimes[matched] as number));
      matched++;
    }
    maxBacklog = Math.max(maxBacklog, putTimes.length - folded);
    const bytes = processTreeRss();
    if (bytes !== undefined) rss.push(bytes);
    return folded;
  };

  const started = performance.now();
  let foldedAtHalf: { at: number; folded: number } | undefined;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      const elapsed = now - started;
      if (elapsed >= seconds * 1_000) {
        clearInterval(timer);
        resolve();
        return;
      }
      // Due by the clock, not by ticks: a late timer puts the events it missed.
      const due = Math.floor((rate * elapsed) / 1_000) - putTimes.length;
      for (let i = 0; i < due; i++) {
        putTimes.push(now);
        producer.put(makeEvent()).catch(() => undefined);
      }
      const folded = sample();
      if (!foldedAtHalf && elapsed >= (seconds * 1_000) / 2) foldedAtHalf = { at: now, folded };
    }, TICK_MS);
  });
  const ended = performance.now();
  const phaseSeconds = (ended - started) / 1_000;
  const foldedAtEnd = sample();
  const half = foldedAtHalf ?? { at: started, folded: 0 };
  const steadyAggregatedPerSecond = ((foldedAtEnd - half.folded) * 1_000) / (ended - half.at);

  let drainSeconds: number | undefined;
  const drainStarted = performance.now();
  const sampler = setInterval(sample, TICK_MS);
  try {
    await pipeline.waitForDrain(30_000);
    drainSeconds = (performance.now() - drainStarted) / 1_000;
  } catch {
    drainSeconds = undefined;
  } finally {
    clearInterval(sampler);
    sample();
  }
  const aggregatedPerSecond = foldedAtEnd / phaseSeconds;
  return {
    offeredPerSecond: rate,
    seconds: phaseSeconds,
    putPerSecond: putTimes.length / phaseSeconds,
    aggregatedPerSecond,
    backlogAtEnd: putTimes.length - foldedAtEnd,
    maxBacklog,
    steadyAggregatedPerSecond,
    drainSeconds,
    latencyP50Ms: latencies.length > 0 ? quantile(latencies, 0.5) : undefined,
    latencyP99Ms: latencies.length > 0 ? quantile(latencies, 0.99) : undefined,
    sustained:
      steadyAggregatedPerSecond >= 0.95 * rate && drainSeconds !== undefined && drainSeconds <= 10,
    rssMedianBytes: rss.length > 0 ? median(rss) : undefined,
    rssMaxBytes: rss.length > 0 ? Math.max(...rss) : undefined,
  };
}
