import { performance } from 'node:perf_hooks';
import type { GroundTruth } from '../core/aggregates/GroundTruth.js';
import { sampleEventGenerator } from '../core/events/sampleEvents.js';
import type { KinesisProducer } from '../producers/KinesisProducer.js';
import type { KeySkew } from './KeySampler.js';
import { createKeySampler } from './KeySampler.js';

/** How the generator paces itself, ms between rounds. */
const TICK_MS = 5;
/** Failure messages kept for the report. */
const MAX_FAILURE_SAMPLES = 5;

/** What to generate. */
export interface LoadTestOptions {
  /** Target events per second. */
  rate: number;
  /** Seconds to generate for. */
  durationSeconds: number;
  /** Distinct partition keys. */
  keys: number;
  skew: KeySkew;
  /** The events' `source`, so a run's events can be told apart in the archive. */
  source: string;
  /** Called about every 250 ms while generating and draining. */
  onProgress?: (progress: LoadProgress) => void;
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

/**
 * Puts sample events through `producer` at `rate` for `durationSeconds`, with
 * partition keys drawn from `keys` under `skew`, then waits for every put to
 * settle. Acknowledged events are added to `truth`, so it holds exactly the
 * aggregates the run must produce. When the producer pushes back, the
 * generator waits instead of queueing without bound, and the achieved rate
 * shows it.
 */
export async function runLoadTest(
  producer: KinesisProducer,
  truth: GroundTruth,
  options: LoadTestOptions,
): Promise<LoadRunResult> {
  const nextKey = createKeySampler(options.keys, options.skew);
  const nextEvent = sampleEventGenerator({ source: options.source });
  const durationMs = options.durationSeconds * 1_000;
  const total = Math.round(options.rate * options.durationSeconds);
  const counts = { put: 0, acknowledged: 0, failed: 0 };
  const failureSamples: string[] = [];
  const pending = new Set<Promise<void>>();
  const started = performance.now();
  let lastProgress = 0;
  const progress = (phase: LoadProgress['phase']) => {
    const now = performance.now();
    if (now - lastProgress < 250) return;
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
        () => {
          counts.acknowledged++;
          truth.add(event);
        },
        (error: unknown) => {
          counts.failed++;
          if (failureSamples.length < MAX_FAILURE_SAMPLES) failureSamples.push(String(error));
        },
      );
      pending.add(put);
      void put.finally(() => pending.delete(put));
      // Backpressure: when the buffer is full, wait for room rather than pile up promises.
      if (producer.bufferedEvents >= 0.9 * producer.maxBufferedEvents) await put;
    }
    progress('generating');
    if (counts.put < total) await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  const generatingMs = performance.now() - started;
  const ticker = setInterval(() => progress('draining'), 250);
  try {
    await producer.flush();
    await Promise.all(pending);
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
