import { aggregationSettingsOf, compileMetrics } from '../core/aggregates/compileMetrics.js';
import { unpackRecord } from '../core/codec/ndjsonCodec.js';
import type { StreamfoldConfig } from '../core/config/configSchema.js';
import { eventCatalog } from '../core/events/catalog.js';
import { aggregateKinesisBatch } from '../functions/aggregate/aggregateKinesisBatch.js';
import { paddedEvents } from './benchEvents.js';
import { inMemoryDependencies } from './inMemoryFakes.js';
import { packedKinesisBatch } from './kinesisBatch.js';
import { median } from './measure.js';
import { InMemoryNaiveStore, naiveHandler } from './naiveHandler.js';

/** Options of {@link runHandlerBenchmark}. */
export interface HandlerBenchmarkOptions {
  config: StreamfoldConfig;
  /** Events in the fixed batch. */
  events: number;
  /** Measured runs of each variant (after one warm-up run); the median is reported. */
  repetitions: number;
}

/** Events per CPU-second of each variant, medians over the repetitions. */
export interface HandlerBenchmarkResult {
  events: number;
  records: number;
  batchBytes: number;
  repetitions: number;
  /** `aggregateKinesisBatch` with in-memory store, rejects and group registry. */
  streamfoldEventsPerCpuSecond: number;
  /** {@link naiveHandler} on an in-memory store. */
  naiveEventsPerCpuSecond: number;
  /** `JSON.parse` of every line alone, for reference. */
  jsonParseEventsPerCpuSecond: number;
  /** Store calls per event: streamfold writes per distinct item, the naive handler per event. */
  streamfoldStoreCallsPerEvent: number;
  naiveStoreCallsPerEvent: number;
}

/**
 * Handler CPU path: decode, unpack, validate and fold one fixed batch of
 * 500-byte sample events with the configuration's metrics, with every
 * dependency in memory. Measured as events per CPU-second of this process
 * (user + system, so garbage collection on other threads counts too): the
 * throughput one core gives.
 */
export async function runHandlerBenchmark(
  options: HandlerBenchmarkOptions,
): Promise<HandlerBenchmarkResult> {
  const now = Date.parse('2026-11-22T10:30:00.000Z');
  let clock = now - 600_000;
  // Event times spread over the last 10 minutes: the batch touches several minute buckets.
  const events = paddedEvents(options.events, {
    seed: 11,
    now: () => (clock += 600_000 / options.events),
  });
  const batch = packedKinesisBatch(events, { arrivalMs: now });
  const metrics = compileMetrics(aggregationSettingsOf(options.config));
  const batchBytes = batch.Records.reduce(
    (sum, r) => sum + Buffer.byteLength(r.kinesis.data, 'base64'),
    0,
  );

  let streamfoldCalls = 0;
  const streamfold = async () => {
    const deps = inMemoryDependencies(metrics, now);
    const { summary } = await aggregateKinesisBatch(batch, deps);
    if (summary.eventsFolded !== options.events) {
      throw new Error(
        `handler folded ${summary.eventsFolded} of ${options.events} events (${summary.eventsRejected} rejected)`,
      );
    }
    streamfoldCalls = deps.store.calls;
  };
  let naiveCalls = 0;
  const naive = async () => {
    const store = new InMemoryNaiveStore();
    const result = await naiveHandler(batch, { metrics, catalog: eventCatalog, store });
    if (result.events !== options.events) {
      throw new Error(`naive handler took ${result.events} of ${options.events} events`);
    }
    naiveCalls = store.calls;
  };
  const jsonParse = async () => {
    let parsed = 0;
    for (const record of batch.Records) {
      for (const line of unpackRecord(Buffer.from(record.kinesis.data, 'base64'))) {
        if (JSON.parse(line) !== null) parsed++;
      }
    }
    if (parsed !== options.events) throw new Error(`parsed ${parsed} of ${options.events} lines`);
  };

  const rate = async (task: () => Promise<void>): Promise<number> => {
    await task(); // warm-up: JIT and caches
    const rates: number[] = [];
    for (let run = 0; run < options.repetitions; run++) {
      const before = process.cpuUsage();
      await task();
      const used = process.cpuUsage(before);
      rates.push(options.events / ((used.user + used.system) / 1e6));
    }
    return median(rates);
  };

  return {
    events: options.events,
    records: batch.Records.length,
    batchBytes,
    repetitions: options.repetitions,
    streamfoldEventsPerCpuSecond: await rate(streamfold),
    naiveEventsPerCpuSecond: await rate(naive),
    jsonParseEventsPerCpuSecond: await rate(jsonParse),
    streamfoldStoreCallsPerEvent: streamfoldCalls / options.events,
    naiveStoreCallsPerEvent: naiveCalls / options.events,
  };
}
