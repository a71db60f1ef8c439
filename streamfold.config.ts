import { defineConfig } from './core/config/defineConfig.js';

/**
 * The one configuration of streamfold. The CDK stack, the aggregate handler,
 * the producers and the local runtime all read it; change a value here and it
 * changes everywhere. See README "Configuration" for what each setting does.
 */
export default defineConfig({
  stream: {
    name: 'streamfold-events',
    capacityMode: 'provisioned',
    // 2 shards = 2 MB/s, 2,000 records/s in; packing puts ~50 events in a record.
    shardCount: 2,
    retention: '24h',
  },
  aggregation: {
    // Large batches fold more events into each DynamoDB write.
    batchSize: 1_000,
    // 1 s trades a little latency for far fewer writes when traffic is light.
    maxBatchingWindow: '1s',
    bisectBatchOnError: true,
    maxRetryAttempts: 5,
    // 1 h: well inside the 24 h retention, so nothing expires while it is being retried.
    maxRecordAge: '1h',
    parallelizationFactor: 1,
    startingPosition: 'TRIM_HORIZON',
    timeout: '60s',
    memorySize: 512,
  },
  archive: {
    bucketName: 'streamfold-archive',
    prefix:
      'events/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
    errorOutputPrefix:
      'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/',
    bufferingSizeMiB: 64,
    // 60 s keeps objects few and large on AWS and the local archive visibly fresh.
    bufferingInterval: '60s',
    compression: 'GZIP',
  },
  directPut: {
    deliveryStreamName: 'streamfold-direct',
    // Its own folder, so the archive table over events/ never reads direct-PUT objects twice.
    prefix:
      'direct/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
    errorOutputPrefix:
      'direct-errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/',
  },
  rejects: {
    bucketName: 'streamfold-rejects',
    rejectsPrefix: 'rejects/',
    // Lambda always writes on-failure records under aws/lambda/ on AWS; the local runtime matches it.
    onFailurePrefix: 'aws/lambda/',
  },
  table: {
    name: 'streamfold-aggregates',
  },
  events: {
    maxLateness: '7d',
    maxFutureSkew: '5m',
  },
  windows: {
    // Minute buckets are for live dashboards; two days is enough to compare with yesterday.
    '1m': { retention: '2d' },
    '1h': { retention: '90d' },
    '1d': {},
  },
  metrics: [
    {
      name: 'events',
      on: ['page_view', 'add_to_cart', 'purchase'],
      groupBy: ['type'],
      stats: ['count'],
      windows: ['1m', '1h', '1d'],
    },
    {
      name: 'revenue',
      on: 'purchase',
      value: 'data.amount',
      groupBy: ['data.country'],
      stats: ['count', 'sum', 'min', 'max', 'avg', 'p50', 'p90', 'p99'],
      windows: ['1m', '1h', '1d'],
    },
    {
      name: 'cart_quantity',
      on: 'add_to_cart',
      value: 'data.quantity',
      groupBy: ['data.category'],
      stats: ['count', 'sum', 'min', 'max', 'avg', 'p50', 'p90', 'p99'],
      windows: ['1m', '1h', '1d'],
    },
    {
      name: 'page_views',
      on: 'page_view',
      groupBy: ['data.device'],
      stats: ['count'],
      windows: ['1m', '1h'],
    },
  ],
  ingest: {
    path: '/events',
    // 1 MiB: a request at the limit still fits one PutRecords call (5 MiB), so it is
    // acknowledged in one round trip, and is far inside Lambda's 6 MB and API Gateway's 10 MB.
    maxRequestBytes: 1_048_576,
    // 500 events: as many as one PutRecords call takes, so clients batching for Kinesis can
    // keep their batches; bounds validation work and the error list of one response.
    maxEventsPerRequest: 500,
    // 10 s covers the producer's first six retries (backoff ceilings 0.1 s .. 3.2 s) and lets
    // a client re-send long before its own timeout.
    acknowledgeTimeout: '10s',
    // Web pages that may send events from a browser, e.g. 'https://shop.example.com'.
    allowOrigins: [],
  },
  local: {
    host: '127.0.0.1',
    region: 'us-east-1',
    ports: { kinesis: 4567, dynamodb: 4568, s3: 4569, http: 4570, firehose: 4571 },
    endpoints: {},
    demoRate: 200,
  },
});
