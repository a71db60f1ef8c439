import { performance } from 'node:perf_hooks';
import type { GroundTruth } from '../core/aggregates/GroundTruth.js';
import type { SampleEventFactory } from '../core/events/SampleEventFactory.js';
import type { KinesisProducer } from '../producers/KinesisProducer.js';
import type { KeySkew } from './KeySampler.js';
import { createKeySampler } from './KeySampler.js';

/** How the generator paces itself, ms between rounds. */
const TICK_MS = 5;
/** How often progress is reported by default, ms. */
const PROGRESS_INTERVAL_MS = 250;
/** Failure messages kept for the report. */
const MAX_FAILURE_SAMPLES = 5;

/** What to generate. */
export interface LoadTestOptions {
  /** Makes the events: the configuration's `sampleEvents`. */
  sampleEvents: SampleEventFactory | undefined;
  /** Target events per second. */
  rate: number;
  /** Seconds to generate for. */
  durationSeconds: number;
  /** Distinct partition keys. */
  keys: number;
  skew: KeySkew;
  /** The events' `source`, so a run's events can be told apart in the archive. */
  source: string;
  /** Called every `progressIntervalMs` while generating and draining. */
  onProgress?: (progress: LoadProgress) => void;
  /** How often `onProgress` is called, ms. @default 250 */
  progressIntervalMs?: number;
}

/** A progress reading. */
export interface LoadProgress {
  phase: 'generating' | 'draining';
  elapsedMs: number;
  durationMs: number;
  put: number;
  acknowledged: number;
  failed: number;
}

/** What a run did. */
export interface LoadRunResult {
  /** From the first put until every put settled, ms. */
  elapsedMs: number;
  /** Spent generating, ms. */
  generatingMs: number;
  put: number;
  acknowledged: number;
  failed: number;
  /** A few failure messages, for the report. */
  failureSamples: string[];
}

/** Why there is nothing to load the stream with. */
export const NO_SAMPLE_EVENTS =
  'sampleEvents: the configuration declares no generator of sample events, which the load test and the demo producer send (see examples/web-shop/sampleEvents.ts)';

/**
 * Puts sample events through `producer` at `rate` for `durationSeconds`, with
 * partition keys drawn from `keys` under `skew`, then waits for every put to
 * settle. Acknowledged events are added to `truth` when one is given, so it
 * holds exactly the aggregates the run must produce. When the producer pushes
 * back, the generator waits instead of queueing without bound, and the
 * achieved rate shows it.
 */
export async function runLoadTest(
  producer: KinesisProducer,
  truth: GroundTruth | undefined,
  options: LoadTestOptions,
): Promise<LoadRunResult> {
  const nextKey = createKeySampler(options.keys, options.skew);
  if (!options.sampleEvents) throw new Error(NO_SAMPLE_EVENTS);
  const nextEvent = options.sampleEvents({ source: options.source });
  const durationMs = options.durationSeconds * 1_000;
  const total = Math.round(options.rate * options.durationSeconds);
  const counts = { put: 0, acknowledged: 0, failed: 0 };
  const failureSamples: string[] = [];
  // A count of settled puts rather than a set of their promises: at tens of thousands of
  // events per second every object kept per event shows up as garbage-collection time.
  let settled = 0;
  let onAllSettled: (() => void) | undefined;
  const settle = () => {
    settled++;
    if (onAllSettled && settled === counts.put) onAllSettled();
  };
  const acknowledged = () => {
    counts.acknowledged++;
    settle();
  };
  const failed = (error: unknown) => {
    counts.failed++;
    if (failureSamples.length < MAX_FAILURE_SAMPLES) failureSamples.push(String(error));
    settle();
  };
  const started = performance.now();
  const progressIntervalMs = options.progressIntervalMs ?? PROGRESS_INTERVAL_MS;
  let lastProgress = 0;
  const progress = (phase: LoadProgress['phase']) => {
    const now = performance.now();
    if (now - lastProgress < progressIntervalMs) return;
    lastProgress = now;
    options.onProgress?.({ phase, elapsedMs: now - started, durationMs, ...counts });
  };

  while (counts.put < total) {
    const elapsed = performance.now() - started;
    const due = Math.min(total, Math.floor((options.rate * elapsed) / 1_000));
    while (counts.put < due) {
      const event = nextEvent();
      counts.put++;
      const put = producer.put(event, { partitionKey: `key-${nextKey()}` }).then(
        truth
          ? () => {
              truth.add(event);
              acknowledged();
            }
          : acknowledged,
        failed,
      );
      // Backpressure: when the buffer is full, wait for room rather than pile up promises.
      if (producer.bufferedEvents >= 0.9 * producer.maxBufferedEvents) await put;
    }
    progress('generating');
    if (counts.put < total) await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  const generatingMs = performance.now() - started;
  const ticker = setInterval(() => progress('draining'), progressIntervalMs);
  try {
    await producer.flush();
    if (settled < counts.put) await new Promise<void>((resolve) => (onAllSettled = resolve));
  } finally {
    clearInterval(ticker);
  }
  return {
    elapsedMs: performance.now() - started,
    generatingMs,
    ...counts,
    failureSamples,
  };
}
