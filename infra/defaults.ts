import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * Production defaults of the CDK app, kept apart from the constructs that use
 * them so that every value and the reason for it can be read in one place.
 *
 * Values that users tune (stream size, batch settings, buffering, prefixes,
 * retention of aggregates) live in `streamfold.config.ts`, which the local
 * runtime reads as well; what is here only exists on AWS.
 */

/** Deployment stages the app knows; each is its own stack with its own resource names. */
export const STAGES = ['dev', 'prod'] as const;

/** A deployment stage. */
export type Stage = (typeof STAGES)[number];

/**
 * Prefix of the names that must be unique per account and region and are not
 * in the configuration: stack, Glue database, Athena workgroup, dashboard.
 */
export const PROJECT_NAME = 'streamfold';

/** What differs between stages. */
export interface StageDefaults {
  /** Removal policy of everything that holds data: table, buckets, log groups. */
  dataRemovalPolicy: RemovalPolicy;
  /** Empty the buckets when the stack is deleted (a custom resource does it). */
  autoDeleteObjects: boolean;
  /** DynamoDB deletion protection on the aggregates table. */
  tableDeletionProtection: boolean;
  /** Retention of the function's and Firehose's log groups. */
  logRetention: logs.RetentionDays;
}

/** Per-stage defaults. */
export const STAGE_DEFAULTS: Record<Stage, StageDefaults> = {
  // dev stacks come and go: deleting the stack deletes everything, buckets included.
  dev: {
    dataRemovalPolicy: RemovalPolicy.DESTROY,
    autoDeleteObjects: true,
    tableDeletionProtection: false,
    // A week covers a test cycle; dev logs are not evidence of anything later.
    logRetention: logs.RetentionDays.ONE_WEEK,
  },
  // prod data outlives the stack: aggregates, archive, rejects and logs are retained,
  // and the table refuses DeleteTable until protection is switched off on purpose.
  prod: {
    dataRemovalPolicy: RemovalPolicy.RETAIN,
    autoDeleteObjects: false,
    tableDeletionProtection: true,
    // 3 months: long enough to investigate an incident noticed weeks later.
    logRetention: logs.RetentionDays.THREE_MONTHS,
  },
};

/** Kinesis data stream. */
export const STREAM_DEFAULTS = {
  // A customer managed key rather than the AWS managed aws/kinesis key: only a customer
  // managed key can be granted to producers in other accounts, scoped per role in its
  // policy, and disabled to stop all reads at once. It costs 1 USD a month plus requests
  // (Kinesis caches data keys, so requests do not grow with records). Rotated yearly.
  enableKeyRotation: true,
  // The key only protects the stream's records, which the stream drops at its retention;
  // KMS still waits this long before deleting a key, in case it was removed by mistake.
  keyPendingWindow: Duration.days(30),
  // The stream carries records for at most its retention (24 h by default); the archive
  // keeps them. Deleting the stack deletes the stream in every stage.
  removalPolicy: RemovalPolicy.DESTROY,
} as const;

/** The aggregate function. */
export const FUNCTION_DEFAULTS = {
  // The newest Node.js runtime aws-cdk-lib 2.276 declares (Runtime.NODEJS_24_X); named
  // explicitly rather than NODEJS_LATEST, whose meaning moves with the library version.
  runtime: lambda.Runtime.NODEJS_24_X,
  // Graviton: about 20% cheaper per GB-second than x86, and the handler has no native code.
  architecture: lambda.Architecture.ARM_64,
  // JSON logs let Lambda filter by level; Powertools Logger already writes JSON.
  loggingFormat: lambda.LoggingFormat.JSON,
  applicationLogLevel: lambda.ApplicationLogLevel.INFO,
  systemLogLevel: lambda.SystemLogLevel.WARN,
  bundling: {
    // ESM, like the source: esbuild tree-shakes ES modules best, and the handler's
    // module-level setup (environment, SDK clients) runs once per container.
    format: nodejs.OutputFormat.ESM,
    // Smaller upload and faster cold start; stack traces show minified names, so log lines
    // carry the shard id and sequence numbers that locate a failure.
    minify: true,
    // Prefer the ESM builds of dependencies (Powertools, zod) so unused code is dropped.
    mainFields: ['module', 'main'],
    // The Node.js runtime ships AWS SDK v3; leaving it out keeps the bundle small and the
    // cold start short. The handler only uses long-stable calls (UpdateItem, GetItem,
    // PutObject), so the runtime's SDK version does not matter to it.
    externalModules: ['@aws-sdk/*'],
    // CommonJS code inside an ESM bundle may call require(); give it one.
    banner:
      "import { createRequire } from 'node:module';const require = createRequire(import.meta.url);",
    // Source maps would need NODE_OPTIONS=--enable-source-maps, which slows every stack
    // trace and the cold start; log lines carry shard ids and sequence numbers instead.
    sourceMap: false,
    // Bundle with the esbuild in node_modules: synth works offline and without Docker.
    forceDockerBundling: false,
  },
  /** Upper bound a test checks the bundle against, bytes; a jump means a dependency slipped in. */
  maxBundleBytes: 800 * 1024,
} as const;

/** The event source mapping settings that are not tunables but part of the handler's contract. */
export const EVENT_SOURCE_MAPPING_DEFAULTS = {
  // The handler reports transient failures as batchItemFailures and returns normally;
  // without this setting Lambda ignores the list and checkpoints past the failed records.
  reportBatchItemFailures: true,
  // EventCount metrics include OnFailureDestinationDeliveredEventCount, the only metric
  // that counts records the mapping gave up on; enabling them adds CloudWatch charges.
  metrics: [lambda.MetricType.EVENT_COUNT],
  // Lambda chooses the key of on-failure objects (aws/lambda/<mapping>/<shard>/...);
  // it cannot be configured, so the grant is scoped to it.
  onFailureKeyPrefix: 'aws/lambda/',
  // Name of the enhanced fan-out consumer (aggregation.enhancedFanOut); unique per stream,
  // and each stream of a stage is its own, so no stage suffix is needed.
  enhancedFanOutConsumerName: 'streamfold-aggregate',
} as const;

/** The ingest function behind `POST /events`. */
export const INGEST_FUNCTION_DEFAULTS = {
  // The function answers by ingest.acknowledgeTimeout at the latest (503 with the ids to
  // re-send); 5 s more covers a cold start and parsing a full request, so a timeout means
  // something hung. ingest.acknowledgeTimeout <= 20s keeps it inside API Gateway's 30 s.
  timeoutBeyondAcknowledge: Duration.seconds(5),
  // CPU grows with memory (1,769 MB = one vCPU). Validating 500 events takes ~3.3 ms of a full
  // core (measured locally); at 512 MB that is ~11 ms, and the cold start (SDK client, zod
  // schemas) is short enough for interactive clients. The request itself needs a few MB.
  memorySize: 512,
} as const;

/** The query function behind the `GET /api/...` routes. */
export const QUERY_FUNCTION_DEFAULTS = {
  // A series is one Query of at most 1,000 items; groups and top scan the table in 1 MB pages.
  // 10 s covers a scan of some thousands of items with room for a cold start, and stays inside
  // API Gateway's 30 s integration limit.
  timeout: Duration.seconds(10),
  // CPU grows with memory; reading histograms of 1,000 items for percentiles is a few ms of CPU,
  // and 512 MB parses scan pages without pressure.
  memorySize: 512,
} as const;

/** The HTTP API (API Gateway v2) that serves ingest, and later the query routes. */
export const HTTP_API_DEFAULTS = {
  // Stage-wide throttling, requests per second and bucket size. The stream is the real limit:
  // 2 shards take 2 MiB/s; at a typical batch of 5 KB, 200 requests/s is ~1 MiB/s, half of it,
  // leaving the rest to SDK producers. Excess requests get 429 at once instead of holding a
  // function while the producer retries throttled puts. Raise both with the shard count.
  throttlingRateLimit: 200,
  throttlingBurstLimit: 400,
} as const;

/** S3 settings shared by every bucket. */
export const BUCKET_DEFAULTS = {
  // SSE-S3: encrypted at rest with no per-request KMS charge and no key grant needed by
  // every Athena user and by S3 server access logging (which does not support SSE-KMS).
  encryption: s3.BucketEncryption.S3_MANAGED,
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  // Deny plain HTTP (cdk-nag S10) and TLS below 1.2.
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  // Uploads that never completed still cost storage; a week is ample for any retry.
  abortIncompleteMultipartUploadAfter: Duration.days(7),
} as const;

/** The raw event archive written by Firehose. */
export const ARCHIVE_DEFAULTS = {
  // Versioning keeps deleted or overwritten objects recoverable; Firehose never
  // overwrites, so noncurrent versions only appear after a deletion.
  versioned: true,
  noncurrentVersionExpiration: Duration.days(30),
  // 30 days is the earliest S3 allows a move to Standard-IA; reads of the archive
  // (reconciliation, ad hoc Athena) drop sharply after the first month.
  infrequentAccessAfter: Duration.days(30),
  // Glacier Instant Retrieval after a quarter: cheapest class that Athena still reads
  // without a restore (Flexible Retrieval and Deep Archive would need one per object).
  glacierInstantRetrievalAfter: Duration.days(90),
  // Firehose error output (records it could not deliver) is kept for investigation,
  // then dropped: it duplicates what the stream's source had.
  errorOutputExpiration: Duration.days(90),
} as const;

/** The rejects bucket: refused events and the event source mapping's on-failure records. */
export const REJECTS_DEFAULTS = {
  // Long enough to find the producer at fault and redrive; bad input has no value after.
  expiration: Duration.days(90),
} as const;

/** The bucket that receives S3 server access logs of the other buckets. */
export const ACCESS_LOG_DEFAULTS = {
  // 1 year covers a yearly audit; access logs are evidence, not data.
  expiration: Duration.days(365),
} as const;

/** Glue table over the archive and the Athena workgroup. */
export const ANALYTICS_DEFAULTS = {
  /** Name of the Glue table over the archived events. */
  tableName: 'events',
  // Partition projection of the year: from the year of this release to far enough
  // ahead that nobody has to come back. Years without data cost one empty S3 list.
  firstYear: 2026,
  lastYear: 2100,
  // Query results can be recomputed; keep them a week for the console's history.
  resultsExpiration: Duration.days(7),
  // Cost guard: one query may scan at most 100 GiB (about 0.50 USD at 5 USD/TB).
  bytesScannedCutoffPerQuery: 100 * 1024 ** 3,
  // The OpenX JSON SerDe reads nested objects into struct columns and, with this
  // setting, returns a row of nulls for a malformed line instead of failing the whole
  // query (the archive keeps bad input too; the handler rejected it). An empty line
  // (after each record that already ended in a newline, once Firehose appends its
  // delimiter) is also a row of nulls: queries filter on `id IS NOT NULL`.
  serdeParameters: { 'ignore.malformed.json': 'TRUE', 'case.insensitive': 'TRUE' },
} as const;

/** Alarms and the dashboard. */
export const MONITORING_DEFAULTS = {
  // Alarm when the oldest unread record reached half the stream's retention: a consumer
  // that falls that far behind loses data within the other half.
  iteratorAgeFractionOfRetention: 0.5,
  // Same rule for the mapping against maxRecordAge, after which Lambda sends records
  // to the on-failure destination unprocessed.
  iteratorAgeFractionOfMaxRecordAge: 0.5,
  // Firehose normally delivers within one buffering interval; five in a row without
  // delivery is an outage, with a floor so short intervals do not page on jitter.
  dataFreshnessBufferingIntervals: 5,
  minDataFreshnessThreshold: Duration.minutes(5),
  // Errors, throttles and on-failure records are counted over 5 minutes; one is enough
  // to notify because each of them means retries or records left unaggregated.
  period: Duration.minutes(5),
  // The iterator age and freshness alarms look at 1-minute maxima, 3 in a row.
  lagPeriod: Duration.minutes(1),
  lagEvaluationPeriods: 3,
} as const;
