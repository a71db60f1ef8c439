import { performance } from 'node:perf_hooks';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  PutRecordCommand,
} from '@aws-sdk/client-kinesis';
import { KINESIS_LIMITS } from '../core/codec/limits.js';
import { encodeEventLine } from '../core/codec/ndjsonCodec.js';
import { mapConcurrent } from '../core/util/mapConcurrent.js';
import { type WebShopEvent, webShopCatalog } from '../examples/web-shop/catalog.js';
import { sampleEventGenerator } from '../examples/web-shop/sampleEvents.js';
import { KinesisProducer } from '../producers/KinesisProducer.js';
import type { PackingMode } from '../producers/RecordDraft.js';

/** One measured way of putting events. */
export interface ProducerBenchmarkRow {
  name: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  putPayloadUnitsPerEvent: number;
  apiCallsPerEvent: number;
  note: string;
  /** The stream the variant wrote to, for reading its records back. */
  streamName: string;
}

/** Options of {@link runProducerBenchmark}. */
export interface ProducerBenchmarkOptions {
  kinesis: KinesisClient;
  shardCount: number;
  /** Events per producer variant. */
  events: number;
  /** Events for the naive baseline (slower, so fewer). */
  naiveEvents: number;
  /** Concurrent PutRecord calls of the naive baseline. */
  naiveConcurrency: number;
  /** Makes each event. @default the sample web-shop generator */
  makeEvent?: () => WebShopEvent;
  /** Producer variants to run, by name; the naive baseline always runs. @default all */
  only?: readonly string[];
  onProgress?: (message: string) => void;
}

/**
 * Puts the same kind of events into kinesalite every way the producer can,
 * and the naive way (one PutRecord call per event), in one run: events/s,
 * PUT payload units per event (what Kinesis bills) and API calls per event.
 */
export async function runProducerBenchmark(
  options: ProducerBenchmarkOptions,
): Promise<{ rows: ProducerBenchmarkRow[]; averageEventBytes: number }> {
  const rows: ProducerBenchmarkRow[] = [];
  const shardLimit = `${options.shardCount} shards × 1 MiB/s, 1,000 records/s`;
  const variants: {
    name: string;
    packing: PackingMode;
    limited: boolean;
    events: number;
    note: string;
  }[] = [
    {
      name: 'producer ndjson',
      packing: 'ndjson',
      limited: true,
      events: options.events,
      note: `paced to ${shardLimit}`,
    },
    {
      name: 'producer kpl',
      packing: 'kpl',
      limited: true,
      events: options.events,
      note: `paced to ${shardLimit}`,
    },
    {
      name: 'producer none',
      packing: 'none',
      limited: true,
      events: options.naiveEvents,
      note: `paced to ${shardLimit}`,
    },
    {
      name: 'producer ndjson, no pacing',
      packing: 'ndjson',
      limited: false,
      events: options.events,
      note: 'emulator speed; AWS would throttle above the shard limits',
    },
    {
      name: 'producer kpl, no pacing',
      packing: 'kpl',
      limited: false,
      events: options.events,
      note: 'emulator speed; AWS would throttle above the shard limits',
    },
  ];
  const make = options.makeEvent ?? sampleEventGenerator({ source: 'bench' });
  const generate = (count: number) => Array.from({ length: count }, () => make());
  for (const variant of variants) {
    if (options.only && !options.only.includes(variant.name)) continue;
    options.onProgress?.(`${variant.name}: ${variant.events} events…`);
    const stream = await createStream(options.kinesis, options.shardCount);
    const producer = new KinesisProducer({
      catalog: webShopCatalog,
      client: options.kinesis,
      streamName: stream,
      packing: variant.packing,
      ...(variant.limited ? {} : { rateLimit: false }),
      statsIntervalMs: 0,
      maxBufferedEvents: 50_000,
    });
    const events = generate(variant.events);
    const started = performance.now();
    await Promise.all(events.map((event) => producer.put(event)));
    await producer.close();
    const seconds = (performance.now() - started) / 1_000;
    rows.push({
      name: variant.name,
      events: variant.events,
      seconds,
      eventsPerSecond: variant.events / seconds,
      putPayloadUnitsPerEvent: producer.stats.putPayloadUnits / variant.events,
      apiCallsPerEvent: producer.stats.putRecordsCalls / variant.events,
      note: variant.note,
      streamName: stream,
    });
  }

  options.onProgress?.(`naive PutRecord per event: ${options.naiveEvents} events…`);
  const stream = await createStream(options.kinesis, options.shardCount);
  const events = generate(options.naiveEvents);
  let units = 0;
  const started = performance.now();
  await mapConcurrent(events, options.naiveConcurrency, async (event) => {
    const data = encodeEventLine(event);
    units += Math.ceil((data.length + event.id.length) / KINESIS_LIMITS.putPayloadUnitBytes);
    await options.kinesis.send(
      new PutRecordCommand({ StreamName: stream, Data: data, PartitionKey: event.id }),
    );
  });
  const seconds = (performance.now() - started) / 1_000;
  rows.push({
    name: 'naive: PutRecord per event',
    events: options.naiveEvents,
    seconds,
    eventsPerSecond: options.naiveEvents / seconds,
    putPayloadUnitsPerEvent: units / options.naiveEvents,
    apiCallsPerEvent: 1,
    note: `${options.naiveConcurrency} calls in flight; not paced (AWS caps it at ${options.shardCount * 1_000} events/s)`,
    streamName: stream,
  });
  const averageEventBytes =
    events.reduce((sum, event) => sum + encodeEventLine(event).length, 0) / events.length;
  return { rows, averageEventBytes };
}

let streams = 0;

async function createStream(kinesis: KinesisClient, shardCount: number): Promise<string> {
  const name = `bench-producer-${++streams}`;
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  while (
    (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name })))
      .StreamDescriptionSummary?.StreamStatus !== 'ACTIVE'
  ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return name;
}
