import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  KinesisConsumerEventSource,
  KinesisEventSource,
  type KinesisEventSourceProps,
} from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { AggregationSettings } from '../../core/aggregates/compileMetrics.js';
import { EVENT_SOURCE_MAPPING_DEFAULTS, FUNCTION_DEFAULTS } from '../defaults.js';
import { acknowledgeTracingGrant, functionTracing } from '../functionTracing.js';
import { lambdaEntry, PROJECT_ROOT } from '../lambdaEntry.js';
import { objectWildcardFinding } from '../nagFindings.js';
import { ScopedS3OnFailureDestination } from '../ScopedS3OnFailureDestination.js';

/** The handler factory, relative to this file so synth works from any directory. */
/** The module and export the aggregate function's generated entry calls (see `lambdaEntry`). */
export const AGGREGATE_HANDLER_FACTORY = {
  module: fileURLToPath(
    new URL('../../functions/aggregate/createAggregateHandler.ts', import.meta.url),
  ),
  exportName: 'createAggregateHandler',
};

/** Props of {@link AggregateFunction}. */
export interface AggregateFunctionProps {
  /** The stream the event source mapping reads. */
  stream: kinesis.IStream;
  /** The aggregates table; the function gets `UpdateItem` and `GetItem` on it. */
  table: dynamodb.ITable;
  /** Receives refused events (under `rejectsPrefix`) and on-failure records. */
  rejectsBucket: s3.IBucket;
  /** Key prefix of refused events; the function may only write below it. */
  rejectsPrefix: string;
  /** The function's environment, from `aggregateFunctionEnvironment()`. */
  environment: Record<string, string>;
  /**
   * The handler's settings, from `aggregationSettingsOf(config)`: bundled with the
   * function, as they outgrow Lambda's 4 KB environment with about 22 metrics.
   *
   * @default - none: the handler factory gets the catalog only (tests that do not run it)
   */
  settings?: AggregationSettings;
  /**
   * Trace the function with AWS X-Ray (`observability.tracing`); the handler then loads Powertools Tracer.
   *
   * @default false - no tracing config, no X-Ray permission, and the tracer is never loaded
   */
  tracing?: boolean;
  /** The configuration file whose event catalog the function validates events against. */
  configFile: string;
  /**
   * Function timeout.
   *
   * @default Duration.seconds(60)
   */
  timeout?: Duration;
  /**
   * Function memory, MB.
   *
   * @default 512
   */
  memorySize?: number;
  /**
   * Most records per invocation, 1-10000.
   *
   * @default 100
   */
  batchSize?: number;
  /**
   * How long to gather records before invoking, up to 300 s.
   *
   * @default Duration.seconds(0)
   */
  maxBatchingWindow?: Duration;
  /**
   * Split a failing batch in two and retry the halves.
   *
   * @default true
   */
  bisectBatchOnError?: boolean;
  /**
   * Retries of a failing batch before it goes to the on-failure destination, 0-10000.
   *
   * @default 5
   */
  retryAttempts?: number;
  /**
   * Records older than this go to the on-failure destination unprocessed, 60 s to 7 days.
   *
   * @default Duration.hours(1)
   */
  maxRecordAge?: Duration;
  /**
   * Concurrent batches per shard; exactly-once aggregation requires 1.
   *
   * @default 1
   */
  parallelizationFactor?: number;
  /**
   * Read through a dedicated enhanced fan-out consumer of the stream: the mapping gets
   * its own 2 MB/s per shard, pushed with SubscribeToShard, instead of sharing the
   * shard's 2 MB/s and 5 GetRecords/s with every other reader (the archive's Firehose).
   * Billed per consumer-shard hour and per GB read.
   *
   * @default false
   */
  enhancedFanOut?: boolean;
  /**
   * Name of the enhanced fan-out consumer; unique per stream.
   *
   * @default EVENT_SOURCE_MAPPING_DEFAULTS.enhancedFanOutConsumerName
   */
  consumerName?: string;
  /**
   * Where a new mapping starts reading.
   *
   * @default lambda.StartingPosition.TRIM_HORIZON
   */
  startingPosition?: lambda.StartingPosition;
  /**
   * Retention of the function's log group.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  logRemovalPolicy?: RemovalPolicy;
}

/**
 * The aggregate function (`functions/aggregate/handler.ts`, bundled by the local
 * esbuild into a minified ESM file) and its event source mapping from the stream,
 * with partial batch responses, bisect, bounded retries and record age, and an
 * S3 on-failure destination.
 *
 * Its role is its own, with exactly: read on the stream (and decrypt with its
 * key), `UpdateItem` and `GetItem` on the table, `PutObject` under the rejects
 * prefix, `PutObject` under the on-failure prefix plus `ListBucket` on the
 * rejects bucket, and writing to its log group.
 */
export class AggregateFunction extends Construct {
  /** The Lambda function. */
  public readonly handler: nodejs.NodejsFunction;
  /** Its execution role. */
  public readonly role: iam.Role;
  /** Its log group. */
  public readonly logGroup: logs.LogGroup;
  /** The event source mapping from the stream, or from the consumer with enhanced fan-out. */
  public readonly eventSource: KinesisEventSource | KinesisConsumerEventSource;
  /** The enhanced fan-out consumer the mapping reads through, when `enhancedFanOut` is on. */
  public readonly consumer?: kinesis.StreamConsumer;

  public constructor(scope: Construct, id: string, props: AggregateFunctionProps) {
    super(scope, id);
    const batchSize = props.batchSize ?? 100;
    checkRange('batchSize', batchSize, 1, 10_000);
    const retryAttempts = props.retryAttempts ?? 5;
    checkRange('retryAttempts', retryAttempts, 0, 10_000);
    const parallelizationFactor = props.parallelizationFactor ?? 1;
    checkRange('parallelizationFactor', parallelizationFactor, 1, 10);
    const memorySize = props.memorySize ?? 512;
    checkRange('memorySize', memorySize, 128, 10_240);
    const maxBatchingWindow = props.maxBatchingWindow ?? Duration.seconds(0);
    checkRange('maxBatchingWindow (s)', maxBatchingWindow.toMilliseconds() / 1_000, 0, 300);
    const maxRecordAge = props.maxRecordAge ?? Duration.hours(1);
    checkRange('maxRecordAge (s)', maxRecordAge.toMilliseconds() / 1_000, 60, 604_800);
    const timeout = props.timeout ?? Duration.seconds(60);
    checkRange('timeout (s)', timeout.toMilliseconds() / 1_000, 1, 900);
    if (!props.rejectsPrefix.endsWith('/')) {
      throw new Error(`rejectsPrefix must end with "/" (given "${props.rejectsPrefix}")`);
    }

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    // Our own role instead of the default one, which carries the AWS managed
    // AWSLambdaBasicExecutionRole policy (logs on every log group of the account).
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Aggregate function: reads the stream, updates aggregates, writes rejects',
    });
    this.logGroup.grantWrite(this.role);
    if (props.tracing) acknowledgeTracingGrant(this.role);

    this.handler = new nodejs.NodejsFunction(this, 'Function', {
      description: 'Folds Kinesis batches into DynamoDB aggregates, exactly once per record',
      entry: lambdaEntry(AGGREGATE_HANDLER_FACTORY, props.configFile, props.settings),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      runtime: FUNCTION_DEFAULTS.runtime,
      architecture: FUNCTION_DEFAULTS.architecture,
      memorySize,
      timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: FUNCTION_DEFAULTS.loggingFormat,
      applicationLogLevelV2: FUNCTION_DEFAULTS.applicationLogLevel,
      systemLogLevelV2: FUNCTION_DEFAULTS.systemLogLevel,
      ...functionTracing(props.tracing, props.environment),
      bundling: {
        format: FUNCTION_DEFAULTS.bundling.format,
        minify: FUNCTION_DEFAULTS.bundling.minify,
        mainFields: [...FUNCTION_DEFAULTS.bundling.mainFields],
        externalModules: [...FUNCTION_DEFAULTS.bundling.externalModules],
        banner: FUNCTION_DEFAULTS.bundling.banner,
        sourceMap: FUNCTION_DEFAULTS.bundling.sourceMap,
        forceDockerBundling: FUNCTION_DEFAULTS.bundling.forceDockerBundling,
      },
    });

    // Stream read (and decrypt with its key) is granted by the event source when it binds.
    // Not table.grant(): it adds the table's indexes (`<arn>/index/*`), which this function never reads.
    iam.Grant.addToPrincipal({
      grantee: this.role,
      actions: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
      resourceArns: [props.table.tableArn],
    });
    iam.Grant.addToPrincipal({
      grantee: this.role,
      actions: ['s3:PutObject'],
      resourceArns: [props.rejectsBucket.arnForObjects(`${props.rejectsPrefix}*`)],
    });

    const mappingProps: KinesisEventSourceProps = {
      batchSize,
      maxBatchingWindow,
      bisectBatchOnError: props.bisectBatchOnError ?? true,
      retryAttempts,
      maxRecordAge,
      parallelizationFactor,
      startingPosition: props.startingPosition ?? lambda.StartingPosition.TRIM_HORIZON,
      reportBatchItemFailures: EVENT_SOURCE_MAPPING_DEFAULTS.reportBatchItemFailures,
      onFailure: new ScopedS3OnFailureDestination(
        props.rejectsBucket,
        EVENT_SOURCE_MAPPING_DEFAULTS.onFailureKeyPrefix,
      ),
      metricsConfig: { metrics: [...EVENT_SOURCE_MAPPING_DEFAULTS.metrics] },
    };
    if (props.enhancedFanOut) {
      this.consumer = new kinesis.StreamConsumer(this, 'Consumer', {
        stream: props.stream,
        streamConsumerName:
          props.consumerName ?? EVENT_SOURCE_MAPPING_DEFAULTS.enhancedFanOutConsumerName,
      });
      // Binding grants stream read (and key decrypt) plus kinesis:DescribeStreamConsumer
      // and kinesis:SubscribeToShard on the consumer's ARN.
      this.eventSource = new KinesisConsumerEventSource(this.consumer, mappingProps);
    } else {
      this.eventSource = new KinesisEventSource(props.stream, mappingProps);
    }
    this.handler.addEventSource(this.eventSource);

    Validations.of(this.role).acknowledge(
      {
        id: objectWildcardFinding(props.rejectsBucket, `${props.rejectsPrefix}*`),
        reason:
          'Reject object keys are made per batch (date, shard, sequence numbers); the grant is PutObject only, under the rejects prefix.',
      },
      {
        id: objectWildcardFinding(
          props.rejectsBucket,
          `${EVENT_SOURCE_MAPPING_DEFAULTS.onFailureKeyPrefix}*`,
        ),
        reason:
          'Lambda names on-failure objects itself (aws/lambda/<mapping>/<shard>/<date>/...); the grant is PutObject only, under that prefix.',
      },
    );
  }
}

function checkRange(name: string, value: number, min: number, max: number): void {
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    throw new Error(`${name} must be an integer between ${min} and ${max} (given ${value})`);
  }
}
