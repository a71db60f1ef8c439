import type { KinesisStreamEvent } from 'aws-lambda';
import { aggregationSettingsOf, compileMetrics } from '../core/aggregates/compileMetrics.js';
import { encodeEventLine, packLines, unpackRecord } from '../core/codec/ndjsonCodec.js';
import type { StreamfoldConfig } from '../core/config/configSchema.js';
import { webShopCatalog } from '../examples/web-shop/catalog.js';
import { aggregateKinesisBatch } from '../functions/aggregate/aggregateKinesisBatch.js';
import { paddedEvents } from './benchEvents.js';
import { inMemoryDependencies } from './inMemoryFakes.js';
import { kinesisBatchOf, packedKinesisBatch } from './kinesisBatch.js';
import { median } from './measure.js';
import { InMemoryNaiveStore, naiveHandler } from './naiveHandler.js';

/** Options of {@link runHandlerBenchmark}. */
export interface HandlerBenchmarkOptions {
  config: StreamfoldConfig;
  /** Events in the fixed batch. */
  events: number;
  /** Measured runs of each variant (after the warm-up); the median is reported. */
  repetitions: number;
  /** Most warm-up runs of a variant before it is measured anyway. @default 40 */
  maxWarmupRuns?: number;
}

/** Share of the lines made bad in the second batch. */
export const BAD_LINE_SHARE = 0.1;

/**
 * Successive warm-up runs agree when the last {@link AGREEING_RUNS} rates lie
 * within this fraction of their median: V8 has optimised the path by then.
 */
const AGREEMENT_TOLERANCE = 0.1;
const AGREEING_RUNS = 3;

/** Events per CPU-second of each variant, medians over the repetitions. */
export interface HandlerBenchmarkResult {
  events: number;
  records: number;
  batchBytes: number;
  repetitions: number;
  /** Warm-up runs of the streamfold handler until successive runs agreed (or the cap). */
  warmupRuns: number;
  /** Whether the warm-up ended because runs agreed rather than at the cap. */
  warmupAgreed: boolean;
  /** `aggregateKinesisBatch` with in-memory store, rejects and group registry. */
  streamfoldEventsPerCpuSecond: number;
  /** {@link naiveHandler} on an in-memory store. */
  naiveEventsPerCpuSecond: number;
  /** `JSON.parse` of every line alone, for reference. */
  jsonParseEventsPerCpuSecond: number;
  /** The same batch with {@link BAD_LINE_SHARE} of its lines bad: lines (good and bad) per CPU-second. */
  streamfoldWithBadLinesPerCpuSecond: number;
  naiveWithBadLinesPerCpuSecond: number;
  /** Bad lines in that batch, each rejected with its reason. */
  badLines: number;
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
    const result = await naiveHandler(batch, { metrics, catalog: webShopCatalog, store });
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

  const bad = batchWithBadLines(events, now);
  const streamfoldBad = async () => {
    const deps = inMemoryDependencies(metrics, now);
    const { summary } = await aggregateKinesisBatch(bad.batch, deps);
    if (summary.eventsRejected !== bad.badLines || deps.rejects.entries.length !== bad.badLines) {
      throw new Error(`handler rejected ${summary.eventsRejected} of ${bad.badLines} bad lines`);
    }
  };
  const naiveBad = async () => {
    const result = await naiveHandler(bad.batch, {
      metrics,
      catalog: webShopCatalog,
      store: new InMemoryNaiveStore(),
    });
    if (result.events + result.rejected !== options.events) {
      throw new Error(`naive handler read ${result.events + result.rejected} of ${options.events}`);
    }
  };

  const maxWarmupRuns = options.maxWarmupRuns ?? 40;
  const cpuRate = async (task: () => Promise<void>): Promise<number> => {
    const before = process.cpuUsage();
    await task();
    const used = process.cpuUsage(before);
    return options.events / ((used.user + used.system) / 1e6);
  };
  /**
   * Runs `task` until successive runs agree (V8 optimises a path over several
   * batches, so a single warm-up run understates it), then measures it.
   */
  const rate = async (task: () => Promise<void>): Promise<{ rate: number; warmup: Warmup }> => {
    const recent: number[] = [];
    let runs = 0;
    let agreed = false;
    while (runs < maxWarmupRuns && !agreed) {
      recent.push(await cpuRate(task));
      runs++;
      if (recent.length > AGREEING_RUNS) recent.shift();
      agreed = recent.length === AGREEING_RUNS && agree(recent, AGREEMENT_TOLERANCE);
    }
    const rates: number[] = [];
    for (let run = 0; run < options.repetitions; run++) rates.push(await cpuRate(task));
    return { rate: median(rates), warmup: { runs, agreed } };
  };

  const measuredStreamfold = await rate(streamfold);
  return {
    events: options.events,
    records: batch.Records.length,
    batchBytes,
    repetitions: options.repetitions,
    warmupRuns: measuredStreamfold.warmup.runs,
    warmupAgreed: measuredStreamfold.warmup.agreed,
    streamfoldEventsPerCpuSecond: measuredStreamfold.rate,
    naiveEventsPerCpuSecond: (await rate(naive)).rate,
    jsonParseEventsPerCpuSecond: (await rate(jsonParse)).rate,
    streamfoldWithBadLinesPerCpuSecond: (await rate(streamfoldBad)).rate,
    naiveWithBadLinesPerCpuSecond: (await rate(naiveBad)).rate,
    badLines: bad.badLines,
    streamfoldStoreCallsPerEvent: streamfoldCalls / options.events,
    naiveStoreCallsPerEvent: naiveCalls / options.events,
  };
}

/** How a variant's warm-up ended. */
interface Warmup {
  runs: number;
  agreed: boolean;
}

/** Whether every rate lies within `tolerance` of their median. */
function agree(rates: readonly number[], tolerance: number): boolean {
  const middle = median(rates);
  return rates.every((r) => Math.abs(r - middle) <= tolerance * middle);
}

/**
 * The bad lines the second batch carries, in turn: each fails a different
 * check, so the figure covers the reject paths a producer bug would take.
 */
const BAD_LINE_MAKERS: readonly ((line: string) => string)[] = [
  // Cut short: malformed JSON.
  (line) => line.slice(0, Math.floor(line.length / 2)),
  // An unknown type.
  (line) => line.replace(/"type":"[a-z_]+"/, '"type":"refund"'),
  // A payload field of the wrong shape: country codes are two upper-case letters.
  (line) => line.replace(/"country":"[A-Z]{2}"/, '"country":"germany"'),
  // Event time without an offset.
  (line) => line.replace(/"time":"([^"]+)Z"/, '"time":"$1"'),
  // An id with characters ids may not hold.
  (line) => line.replace(/"id":"[^"]+"/, '"id":"not an id!"'),
];

/**
 * Row 1's events with every tenth line made bad by one of
 * {@link BAD_LINE_MAKERS}, packed the same way.
 */
function batchWithBadLines(
  events: readonly unknown[],
  arrivalMs: number,
): { batch: KinesisStreamEvent; badLines: number } {
  const every = Math.round(1 / BAD_LINE_SHARE);
  let badLines = 0;
  const lines = events.map((event, index) => {
    const line = encodeEventLine(event);
    if (index % every !== every - 1) return line;
    const make = BAD_LINE_MAKERS[badLines++ % BAD_LINE_MAKERS.length] as (l: string) => string;
    return Buffer.from(`${make(line.toString('utf8').trimEnd())}\n`);
  });
  return { batch: kinesisBatchOf(packLines(lines), { arrivalMs }), badLines };
}
