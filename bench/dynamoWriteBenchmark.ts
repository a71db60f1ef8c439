import { Logger } from '@aws-lambda-powertools/logger';
import {
  type AttributeValue,
  DynamoDBClient,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { compileMetrics } from '../core/aggregates/compileMetrics.js';
import { type MetricDefinition, metricSchema } from '../core/config/configSchema.js';
import type { StreamfoldEvent } from '../core/events/envelope.js';
import { mapConcurrent } from '../core/util/mapConcurrent.js';
import { seededRandom } from '../core/util/seededRandom.js';
import { webShopCatalog } from '../examples/web-shop/catalog.js';
import { aggregateKinesisBatch } from '../functions/aggregate/aggregateKinesisBatch.js';
import { DynamoAggregateStore } from '../functions/aggregate/DynamoAggregateStore.js';
import { DynamoAttemptTracker } from '../functions/aggregate/DynamoAttemptTracker.js';
import { DynamoGroupRegistry } from '../functions/aggregate/DynamoGroupRegistry.js';
import { DynamoShardLedger } from '../functions/aggregate/DynamoShardLedger.js';
import { createAggregatesTable } from '../local/provisionResources.js';
import { dynamoItemSize } from './dynamoItemSize.js';
import { packedKinesisBatch } from './kinesisBatch.js';
import { WriteUnitMeter } from './WriteUnitMeter.js';

/** The write workload, stated once so the report and the regression test read the same numbers. */
export const WRITE_WORKLOAD = {
  eventsPerSecond: 1_000,
  distinctGroups: 100,
  batchingWindowMs: 5_000,
  /** One metric over purchases grouped by `data.country` (100 codes), one `1m` window. */
  metricName: 'bench_revenue',
} as const;

/** One way of writing the workload's aggregates. */
export interface WriteVariant {
  name: string;
  shards: number;
  /** Keep p50/p90/p99 (histogram bucket counts in each item) as well as count, sum, min, max. */
  percentiles: boolean;
}

/** What one variant wrote. */
export interface WriteVariantResult extends WriteVariant {
  events: number;
  invocations: number;
  updateItemCalls: number;
  writeUnits: number;
  conditionFailures: number;
  reads: number;
  writeUnitsPerEvent: number;
  updatesPerEvent: number;
  items: number;
  /** Largest aggregate item at the end, bytes, by {@link dynamoItemSize}. */
  largestItemBytes: number;
  /** Handler wall time per invocation against dynalite, ms (dynalite is far slower than DynamoDB). */
  msPerInvocation: number;
}

/** Options of {@link runDynamoWriteBenchmark}. */
export interface DynamoWriteBenchmarkOptions {
  endpoint: string;
  /** Simulated seconds of traffic per variant. */
  seconds: number;
  /** Events of the naive baseline (one UpdateItem each). */
  naiveEvents: number;
  variants?: readonly WriteVariant[];
  onProgress?: (message: string) => void;
}

/** Result of {@link runDynamoWriteBenchmark}. */
export interface DynamoWriteBenchmarkResult {
  variants: WriteVariantResult[];
  naive: {
    events: number;
    writeUnits: number;
    writeUnitsPerEvent: number;
    updatesPerEvent: number;
  };
}

/** The variants `npm run bench` measures. */
export const WRITE_VARIANTS: readonly WriteVariant[] = [
  { name: 'count, sum, min, max; 1 shard', shards: 1, percentiles: false },
  { name: 'count, sum, min, max; 2 shards', shards: 2, percentiles: false },
  { name: 'with p50/p90/p99; 1 shard', shards: 1, percentiles: true },
];

/** 100 distinct two-letter codes (AA, AB, … DV): the catalog accepts any upper-case pair. */
export function benchCountries(count: number = WRITE_WORKLOAD.distinctGroups): string[] {
  return Array.from({ length: count }, (_, i) => {
    const first = String.fromCharCode(65 + Math.floor(i / 26));
    const second = String.fromCharCode(65 + (i % 26));
    return `${first}${second}`;
  });
}

/** The workload's metric definition. */
export function benchMetric(percentiles: boolean): MetricDefinition {
  return metricSchema.parse({
    name: WRITE_WORKLOAD.metricName,
    on: 'purchase',
    value: 'data.amount',
    groupBy: ['data.country'],
    stats: ['count', 'sum', 'min', 'max', ...(percentiles ? ['p50', 'p90', 'p99'] : [])],
    windows: ['1m'],
  });
}

/**
 * The workload's events: purchases at 1,000 events/s of event time starting on
 * a minute boundary, country drawn evenly from 100 codes, amounts 1.00–500.99 in
 * whole cents.
 */
export function writeWorkloadEvents(seconds: number, startMs: number): StreamfoldEvent[] {
  const random = seededRandom(42);
  const countries = benchCountries();
  const count = seconds * WRITE_WORKLOAD.eventsPerSecond;
  return Array.from({ length: count }, (_, i) => ({
    id: `e-${i}`,
    type: 'purchase',
    time: new Date(
      startMs + Math.floor((i * 1_000) / WRITE_WORKLOAD.eventsPerSecond),
    ).toISOString(),
    source: 'bench',
    data: {
      orderId: `o-${i}`,
      // Cents divided once: `1 + 0.14` would be 1.1400000000000001, which has 16 decimal places.
      amount: (100 + Math.floor(random() * 50_000)) / 100,
      currency: 'EUR',
      items: 1,
      country: countries[Math.floor(random() * countries.length)] as string,
    },
  }));
}

/**
 * DynamoDB write units per event: the real aggregate handler
 * (`aggregateKinesisBatch` with `DynamoAggregateStore` and
 * `DynamoGroupRegistry`) against dynalite, through a client that counts every
 * write and the units dynalite reports (see {@link WriteUnitMeter}). Events
 * arrive at 1,000/s; each shard is invoked once per 5 s batching window with
 * that window's events (events go to shards by a random partition key). The
 * group registry's writes count too. The naive baseline writes one UpdateItem
 * (ADD count and sum) per event.
 */
export async function runDynamoWriteBenchmark(
  options: DynamoWriteBenchmarkOptions,
): Promise<DynamoWriteBenchmarkResult> {
  const startMs = Date.parse('2026-11-22T10:00:00.000Z');
  const events = writeWorkloadEvents(options.seconds, startMs);
  const results: WriteVariantResult[] = [];
  let tables = 0;
  const newTable = async (client: DynamoDBClient) => {
    const name = `bench-writes-${++tables}`;
    await createAggregatesTable(client, name);
    return name;
  };
  for (const variant of options.variants ?? WRITE_VARIANTS) {
    options.onProgress?.(`DynamoDB writes, ${variant.name}: ${events.length} events…`);
    const client = dynamoClient(options.endpoint);
    const tableName = await newTable(client);
    const meter = new WriteUnitMeter().attach(client);
    const metrics = compileMetrics({
      metrics: [benchMetric(variant.percentiles)],
      windows: { '1m': {} },
    });
    const groups = new DynamoGroupRegistry(client, tableName);
    const store = new DynamoAggregateStore(client, tableName);
    // The shard ledger's read and two writes per batch are part of the cost of exactly-once.
    const attempts = new DynamoAttemptTracker(new DynamoShardLedger(client, tableName));
    const logger = new Logger({ logLevel: 'SILENT' });
    const random = seededRandom(7);
    const shardOf = events.map(() => Math.floor(random() * variant.shards));
    let invocations = 0;
    let handlerMs = 0;
    const sequence = new Array<number>(variant.shards).fill(1);
    for (let from = 0; from < options.seconds * 1_000; from += WRITE_WORKLOAD.batchingWindowMs) {
      const windowEnd = startMs + from + WRITE_WORKLOAD.batchingWindowMs;
      for (let shard = 0; shard < variant.shards; shard++) {
        const slice = events.filter((event, i) => {
          const t = Date.parse(event.time);
          return shardOf[i] === shard && t >= startMs + from && t < windowEnd;
        });
        if (slice.length === 0) continue;
        const shardId = `shardId-${String(shard).padStart(12, '0')}`;
        const batch = packedKinesisBatch(slice, {
          shardId,
          firstSequence: sequence[shard] as number,
          arrivalMs: windowEnd,
        });
        sequence[shard] = (sequence[shard] as number) + batch.Records.length;
        const started = performance.now();
        const { summary } = await aggregateKinesisBatch(batch, {
          store,
          groups,
          attempts,
          rejects: { write: async () => undefined },
          metrics,
          catalog: webShopCatalog,
          maxLatenessMs: 86_400_000,
          maxFutureSkewMs: 300_000,
          logger,
          now: () => windowEnd,
        });
        handlerMs += performance.now() - started;
        invocations++;
        if (summary.eventsFolded !== slice.length || summary.failedRecords > 0) {
          throw new Error(
            `${variant.name}: folded ${summary.eventsFolded} of ${slice.length} events, ${summary.failedRecords} failed records`,
          );
        }
      }
    }
    // Aggregate items only; the group registry item is the other one.
    const aggregates = (await scanItems(client, tableName)).filter((item) =>
      item.sk?.S?.startsWith('1m#'),
    );
    results.push({
      ...variant,
      events: events.length,
      invocations,
      updateItemCalls: meter.writes,
      writeUnits: meter.writeUnits,
      conditionFailures: meter.conditionFailures,
      reads: meter.reads,
      writeUnitsPerEvent: meter.writeUnits / events.length,
      updatesPerEvent: meter.writes / events.length,
      items: aggregates.length,
      largestItemBytes: Math.max(...aggregates.map(dynamoItemSize)),
      msPerInvocation: handlerMs / invocations,
    });
  }

  options.onProgress?.(`DynamoDB writes, naive: ${options.naiveEvents} UpdateItem calls…`);
  const client = dynamoClient(options.endpoint);
  const tableName = await newTable(client);
  const meter = new WriteUnitMeter().attach(client);
  const naiveEvents = events.slice(0, options.naiveEvents);
  await mapConcurrent(naiveEvents, 16, async (event) => {
    const { country, amount } = event.data as { country: string; amount: number };
    const minute = new Date(Math.floor(Date.parse(event.time) / 60_000) * 60_000).toISOString();
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: {
          pk: { S: `${WRITE_WORKLOAD.metricName}#country=${country}` },
          sk: { S: `1m#${minute}` },
        },
        UpdateExpression: 'ADD #cnt :one, #sum :amount',
        ExpressionAttributeNames: { '#cnt': 'cnt', '#sum': 'sum' },
        ExpressionAttributeValues: { ':one': { N: '1' }, ':amount': { N: String(amount) } },
      }),
    );
  });
  return {
    variants: results,
    naive: {
      events: naiveEvents.length,
      writeUnits: meter.writeUnits,
      writeUnitsPerEvent: meter.writeUnits / naiveEvents.length,
      updatesPerEvent: meter.writes / naiveEvents.length,
    },
  };
}

function dynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
}

async function scanItems(
  client: DynamoDBClient,
  tableName: string,
): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}
