import { z } from 'zod';
import { parseDuration } from '../duration.js';
import type { EventCatalog } from '../events/catalog.js';
import type { SampleEventFactory } from '../events/SampleEventFactory.js';
import { METRIC_STATS } from './metricStats.js';

const duration = z
  .string()
  .refine(
    (text) => parseDuration(text) !== undefined,
    'must be a duration such as 500ms, 5s, 1m, 24h or 7d',
  );

const port = z.number().int().min(1).max(65_535);

const bucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name');

/** A declared metric: what to fold, over which events, grouped how, in which windows. */
export const metricSchema = z.object({
  /** Metric name, unique; part of the table's partition key. */
  name: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be snake_case, 1-63 characters'),
  /** Event type or types the metric folds. */
  on: z.union([z.string(), z.array(z.string()).min(1)]),
  /** Dotted path of the numeric value to fold (for example `data.amount`); omit to count only. */
  value: z.string().optional(),
  /** Dotted paths whose values form the group (for example `data.country`). */
  groupBy: z.array(z.string()).max(4).default([]),
  /**
   * Most distinct groups kept for the metric; events of any further group are
   * folded into the group `__other__`. Group values come from events, so
   * without a cap one producer sending random values would create a partition
   * per value, and the dashboard would read thousands of items per query.
   * 1,000 keeps every real dimension (countries, categories, devices) whole;
   * at most 10,000 so the group registry item stays far below DynamoDB's
   * 400 KB item limit (16-character hashes).
   */
  maxGroups: z.number().int().min(1).max(10_000).default(1_000),
  /** Statistics to keep. */
  stats: z.array(z.enum(METRIC_STATS)).min(1).default(['count']),
  /** Names of the windows (see `windows`) to bucket into. */
  windows: z.array(z.string()).min(1),
});

/** A window: buckets of a fixed size aligned to the epoch, kept for a retention period. */
export const windowSchema = z.object({
  /** How long buckets of this window are kept (DynamoDB TTL); omit to keep forever. */
  retention: duration.optional(),
});

const rate = (fallback: number) => z.number().min(0).max(1).default(fallback);

/**
 * Fault rates of the local runtime's chaos mode. Wire-level faults are
 * injected by proxies in front of the emulators, handler faults by the event
 * source mapping runner; each is a probability per request, entry or batch.
 */
export const chaosSchema = z.object({
  /** DynamoDB requests answered with ProvisionedThroughputExceededException. */
  dynamodbThrottleRate: rate(0.05),
  /** DynamoDB requests answered with a 500 InternalServerError. */
  dynamodbServerErrorRate: rate(0.02),
  /** PutRecords calls refused whole with ProvisionedThroughputExceededException. */
  kinesisThrottleRate: rate(0.05),
  /** PutRecords entries refused (half throttled, half InternalFailure) while the rest are written. */
  kinesisEntryFailureRate: rate(0.05),
  /** Invocations that "crash" after the handler flushed: the runner reports a function error. */
  handlerCrashRate: rate(0.03),
  /** Invocations that time out early while the handler keeps running, as a killed Lambda's writes may. */
  handlerTimeoutRate: rate(0.02),
  /** Batches delivered a second time after a successful invocation. */
  duplicateDeliveryRate: rate(0.05),
});

/**
 * The catalog as declared: its shape is checked in `validateConfig`, type by
 * type, so a mistake names the event type.
 */
const catalogSetting = z.custom<EventCatalog>(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  'must map event type names to zod object schemas, e.g. { signup: z.object({ plan: z.string() }) }',
);

const sampleEventsSetting = z.custom<SampleEventFactory>(
  (value) => typeof value === 'function',
  'must be a function returning a generator of events (see examples/web-shop/sampleEvents.ts)',
);

/**
 * The whole configuration; every part of streamfold reads its settings from
 * here. Only `catalog` and `metrics` must be declared: every other setting has
 * a default chosen for a small production stream, explained where it is set.
 */
export const configSchema = z.object({
  /**
   * Every event type accepted and the zod schema of its `data` (see
   * `defineCatalog`); `examples/web-shop/catalog.ts` is the shipped example.
   */
  catalog: catalogSetting,
  /**
   * Makes plausible events of the catalog for the demo producer and the load
   * test; without it both are unavailable (they say so).
   */
  sampleEvents: sampleEventsSetting.optional(),
  stream: z
    .object({
      /** Kinesis stream name. */
      name: z
        .string()
        .regex(/^[a-zA-Z0-9_.-]{1,128}$/, 'must be 1-128 of a-z A-Z 0-9 _ . -')
        .default('streamfold-events'),
      /** `provisioned` uses `shardCount`; `on-demand` scales by itself (AWS only). */
      capacityMode: z.enum(['provisioned', 'on-demand']).default('provisioned'),
      /**
       * Open shards, for provisioned mode and for the local stream. 2 shards = 2 MB/s and
       * 2,000 records/s in; packing puts ~50 events in a record.
       */
      shardCount: z.number().int().min(1).max(64).default(2),
      /** How long records stay readable (24h to 365d). */
      retention: duration.default('24h'),
    })
    .prefault({}),
  /** The event source mapping from the stream to the aggregate function, and the function. */
  aggregation: z
    .object({
      /**
       * Most records per invocation (Kinesis ESM allows 1-10000). Large batches fold more
       * events into each DynamoDB write.
       */
      batchSize: z.number().int().min(1).max(10_000).default(1_000),
      /**
       * How long to gather records before invoking (0-300s). 1 s trades a little latency for
       * far fewer writes when traffic is light.
       */
      maxBatchingWindow: duration.default('1s'),
      /** Split a failing batch in two and retry the halves separately. */
      bisectBatchOnError: z.boolean().default(true),
      /** Retries of a failing batch before it goes to the on-failure destination (0-10000). */
      maxRetryAttempts: z.number().int().min(0).max(10_000).default(5),
      /**
       * Records older than this go to the on-failure destination without processing
       * (60s-7d). 1 h: well inside the 24 h retention, so nothing expires while it is being
       * retried.
       */
      maxRecordAge: duration.default('1h'),
      /** Concurrent batches per shard. Exactly-once aggregation requires 1. */
      parallelizationFactor: z.literal(1).default(1),
      /** Where a new mapping starts reading. */
      startingPosition: z.enum(['TRIM_HORIZON', 'LATEST']).default('TRIM_HORIZON'),
      /** Function timeout. */
      timeout: duration.default('60s'),
      /** Function memory, MB. */
      memorySize: z.number().int().min(128).max(10_240).default(512),
      /**
       * Read the stream through an enhanced fan-out consumer (AWS only): the function gets
       * its own 2 MB/s per shard, pushed over HTTP/2, instead of sharing the shard's 2 MB/s
       * and 5 GetRecords/s with the archive's Firehose. Off by default: it costs per
       * consumer-shard-hour and per GB read (see the README's cost table), and is worth it
       * when the stream is written near its limit and must catch up after an outage.
       */
      enhancedFanOut: z.boolean().default(false),
    })
    .prefault({}),
  /** The Firehose archive of raw records in S3. */
  archive: z
    .object({
      /** Local bucket name; on AWS the stack names the bucket. */
      bucketName: bucketName.default('streamfold-archive'),
      /** Firehose S3 prefix expression, `!{timestamp:...}` placeholders allowed. */
      prefix: z
        .string()
        .min(1)
        .default(
          'events/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
        ),
      /** Firehose error output prefix expression. */
      errorOutputPrefix: z
        .string()
        .min(1)
        .default(
          'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/',
        ),
      /** Flush when this many MiB are buffered (Firehose allows 1-128). */
      bufferingSizeMiB: z.number().int().min(1).max(128).default(64),
      /**
       * Flush at least this often (Firehose allows 0-900s). 60 s keeps objects few and large
       * on AWS and the local archive visibly fresh.
       */
      bufferingInterval: duration.default('60s'),
      /**
       * Compression of JSON objects: the archive's with `format` `'json'`, and the direct-PUT
       * stream's. With `format` `'parquet'` Firehose refuses S3-level compression (Parquet
       * compresses its column pages with Snappy instead), so setting it then is an error.
       */
      compression: z.literal('GZIP').default('GZIP'),
      /**
       * What the archive stores under `prefix`: `'json'` (gzip NDJSON, every record as
       * received) or `'parquet'` (on AWS, Firehose record format conversion against the
       * stack's Glue table: columnar, so Athena reads only the columns a query names).
       *
       * Default `'json'`: it keeps every record byte for byte, fields the catalog does not
       * declare included, and needs no Glue table to write, while Parquet keeps only the
       * table's columns, sends records that do not fit the table to the error prefix
       * (`format-conversion-failed`), is billed per GB converted, and needs
       * `bufferingSizeMiB` of at least 64. Choose `'parquet'` when the archive is mostly read
       * through Athena and the catalog is stable.
       */
      format: z.enum(['json', 'parquet']).default('json'),
    })
    .prefault({}),
  /**
   * A Firehose delivery stream that producers PUT to directly (`FirehoseProducer`),
   * delivering into the archive bucket under its own prefix with the archive's
   * buffering and compression.
   */
  directPut: z
    .object({
      /** Delivery stream name; on AWS the stage is appended. */
      deliveryStreamName: z
        .string()
        .regex(/^[a-zA-Z0-9_.-]{1,64}$/, 'must be 1-64 of a-z A-Z 0-9 _ . -')
        .default('streamfold-direct'),
      /**
       * Firehose S3 prefix expression of delivered objects: a folder of its own, so the
       * archive table over `events/` never reads direct-PUT objects twice.
       */
      prefix: z
        .string()
        .min(1)
        .default(
          'direct/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
        ),
      /** Firehose error output prefix expression. */
      errorOutputPrefix: z
        .string()
        .min(1)
        .default(
          'direct-errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/',
        ),
    })
    .prefault({}),
  /** Rejected events and on-failure records. */
  rejects: z
    .object({
      /** Local bucket name; on AWS the stack names the bucket. */
      bucketName: bucketName.default('streamfold-rejects'),
      /** Prefix of objects holding events refused as bad input. */
      rejectsPrefix: z
        .string()
        .regex(/^[^/].*\/$/, 'must be a folder such as rejects/')
        .default('rejects/'),
      /**
       * Prefix of on-failure destination objects (batches that exhausted their retries).
       * Lambda always writes them under `aws/lambda/` on AWS; the local runtime matches it.
       */
      onFailurePrefix: z
        .string()
        .regex(/^[^/].*\/$/, 'must be a folder such as aws/lambda/')
        .default('aws/lambda/'),
    })
    .prefault({}),
  /** The DynamoDB aggregates table. */
  table: z
    .object({
      name: z
        .string()
        .regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'must be 3-255 of a-z A-Z 0-9 _ . -')
        .default('streamfold-aggregates'),
    })
    .prefault({}),
  /** Acceptance rules for events arriving at the handler. */
  events: z
    .object({
      /** Oldest accepted event time, relative to arrival. */
      maxLateness: duration.default('7d'),
      /** Newest accepted event time, relative to arrival (producer clock skew). */
      maxFutureSkew: duration.default('5m'),
      /**
       * Count each event `id` once, across producer retries, for this long after its first
       * copy; off when omitted. Costs one conditional write per event (see README).
       */
      dedupeWindow: duration.optional(),
    })
    .prefault({}),
  /**
   * Window definitions, keyed by their size written as a duration (`1m`, `1h`, `1d`).
   * Minute buckets are for live dashboards, kept two days to compare with yesterday.
   */
  windows: z
    .record(duration, windowSchema)
    .default({ '1m': { retention: '2d' }, '1h': { retention: '90d' }, '1d': {} }),
  /** Declared metrics. */
  metrics: z.array(metricSchema).min(1),
  /** HTTP ingest: `POST <path>` for producers that cannot hold AWS credentials. */
  ingest: z
    .object({
      /** Route of the ingest endpoint, locally and on the deployed API. */
      path: z
        .string()
        .regex(/^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/, 'must be a path such as /events')
        .default('/events'),
      /**
       * Largest request body accepted, bytes. At most 4 MiB: base64-encoded by API Gateway,
       * the body must still fit Lambda's 6 MB request payload. 1 MiB: a request at the limit
       * still fits one PutRecords call (5 MiB), so it is acknowledged in one round trip.
       */
      maxRequestBytes: z
        .number()
        .int()
        .min(1_024)
        .max(4 * 1024 * 1024)
        .default(1_048_576),
      /**
       * Most events accepted in one request. 500: as many as one PutRecords call takes, so
       * clients batching for Kinesis can keep their batches; bounds validation work and the
       * error list of one response.
       */
      maxEventsPerRequest: z.number().int().min(1).max(10_000).default(500),
      /**
       * How long a request waits for the stream to acknowledge its events before it answers
       * 503 (1s-20s: the function times out 5 s later, inside API Gateway's 30 s integration
       * limit). 10 s covers the producer's first six retries (backoff ceilings 0.1 s .. 3.2 s)
       * and lets a client re-send long before its own timeout.
       */
      acknowledgeTimeout: duration
        .refine((text) => {
          const ms = parseDuration(text) ?? 0;
          return ms >= 1_000 && ms <= 20_000;
        }, 'must be between 1s and 20s')
        .default('10s'),
      /**
       * Origins of web pages allowed to call the ingest endpoint from a browser (CORS), for
       * example `https://shop.example.com`; empty for none.
       */
      allowOrigins: z
        .array(
          z
            .string()
            .regex(/^https?:\/\/[^/]+$/, 'must be an origin such as https://shop.example.com'),
        )
        .default([]),
      /**
       * Concurrent executions reserved for the ingest function, which also caps it (AWS
       * only). Unset by default: a new account may have as few as 10 concurrent executions,
       * and Lambda refuses a reservation that leaves fewer than 100 unreserved.
       */
      reservedConcurrency: z.number().int().min(1).max(10_000).optional(),
    })
    .prefault({}),
  /** The query API (`/api/...`) behind the dashboard. */
  query: z
    .object({
      /**
       * Concurrent executions reserved for the query function, which also caps it, so a
       * busy dashboard cannot starve the aggregate function (AWS only). Unset by default,
       * for the same reason as `ingest.reservedConcurrency`.
       */
      reservedConcurrency: z.number().int().min(1).max(10_000).optional(),
    })
    .prefault({}),
  /** Metrics, alarms and tracing of the deployed functions. */
  observability: z
    .object({
      /**
       * Trace the functions with AWS X-Ray through Powertools Tracer (AWS only). Off by
       * default: X-Ray bills per trace recorded and scanned.
       */
      tracing: z.boolean().default(false),
      /**
       * Alarm when more than this fraction of the events reaching the aggregate function in
       * five minutes is rejected as bad input. 1 %: a producer shipping a broken schema
       * shows at once, a stray malformed event does not page anyone.
       */
      rejectRateAlarmThreshold: z.number().min(0).max(1).default(0.01),
    })
    .prefault({}),
  /** The dashboard served on AWS (locally it is always served by `streamfold start`). */
  dashboard: z
    .object({
      /** Deploy the dashboard with the stack (S3 and CloudFront in front of the query API). */
      deploy: z.boolean().default(true),
      /**
       * Your own host name for the dashboard, for example `dashboard.example.com` (AWS only;
       * give `certificateArn` with it). Without one the dashboard is on `*.cloudfront.net`,
       * whose certificate CloudFront still offers down to TLS 1.0; with one, TLS 1.2 is the
       * minimum.
       */
      domainName: z
        .string()
        .regex(
          /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
          'must be a lower-case host name such as dashboard.example.com',
        )
        .optional(),
      /**
       * ARN of the ACM certificate for `domainName`. CloudFront takes certificates from
       * us-east-1 only, whatever the stack's region.
       */
      certificateArn: z
        .string()
        .regex(
          /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]+$/,
          'must be the ARN of an ACM certificate in us-east-1',
        )
        .optional(),
    })
    .refine(
      (dashboard) =>
        (dashboard.domainName === undefined) === (dashboard.certificateArn === undefined),
      { message: 'domainName and certificateArn must be given together', path: ['certificateArn'] },
    )
    .prefault({}),
  /** The embedded runtime started by `streamfold start`. */
  local: z
    .object({
      /** Interface every local server binds to. */
      host: z.string().min(1).default('127.0.0.1'),
      /**
       * More `Host` header values the local servers (emulators, Firehose endpoint, HTTP
       * server) answer, for example `devbox.local` or `devbox.local:14570` behind a dev
       * container's port forward; a name without a port is allowed on every port. Empty by
       * default: only `host`, `localhost`, `127.0.0.1` and `[::1]` with the server's own port
       * are answered, so a web page whose domain name is rebound to this machine (DNS
       * rebinding) gets 403 or 421 instead of the data.
       */
      allowHosts: z
        .array(
          z
            .string()
            .regex(
              /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/,
              'must be a host such as devbox.local or devbox.local:4570',
            ),
        )
        .default([]),
      /** Region reported to the SDK clients. */
      region: z.string().min(1).default('us-east-1'),
      /** Ports of the local emulators and of the HTTP server. */
      ports: z
        .object({
          kinesis: port.default(4567),
          dynamodb: port.default(4568),
          s3: port.default(4569),
          http: port.default(4570),
          firehose: port.default(4571),
        })
        .prefault({}),
      /** External endpoints that replace an emulator (LocalStack, a real account). */
      endpoints: z
        .object({
          kinesis: z.url().optional(),
          dynamodb: z.url().optional(),
          s3: z.url().optional(),
          firehose: z.url().optional(),
        })
        .default({}),
      /** Events per second of the demo producer; 0 switches it off. */
      demoRate: z.number().min(0).max(1_000_000).default(200),
      /** Fault rates of `streamfold start --chaos` (each 0..1); see `local/chaos/`. */
      chaos: chaosSchema.prefault({}),
    })
    .prefault({}),
});

/** The configuration as written, before defaults are applied. */
export type StreamfoldConfigInput = z.input<typeof configSchema>;

/** The validated configuration. */
export type StreamfoldConfig = z.output<typeof configSchema>;

/** One declared metric. */
export type MetricDefinition = StreamfoldConfig['metrics'][number];

/** Fault rates of the local chaos mode, defaults applied. */
export type ChaosSettings = z.infer<typeof chaosSchema>;
