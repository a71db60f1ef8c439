import { CfnOutput, Size, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { aggregationSettingsOf } from '../core/aggregates/compileMetrics.js';
import {
  AGGREGATE_SERVICE_NAME,
  aggregateFunctionEnvironment,
  METRICS_NAMESPACE,
} from '../core/config/aggregateFunctionEnvironment.js';
import type { StreamfoldConfig } from '../core/config/configSchema.js';
import { configSourceOf } from '../core/config/configSource.js';
import { ingestFunctionEnvironment } from '../core/config/ingestFunctionEnvironment.js';
import {
  queryFunctionEnvironment,
  querySettingsOf,
} from '../core/config/queryFunctionEnvironment.js';
import { queryRoutes } from '../functions/query/queryRoutes.js';
import { ARCHIVE_TABLE_FORMATS } from './archiveTableFormat.js';
import { cdkDuration } from './cdkDuration.js';
import { AggregateFunction } from './constructs/AggregateFunction.js';
import { AggregatesTable } from './constructs/AggregatesTable.js';
import { ArchiveAnalytics } from './constructs/ArchiveAnalytics.js';
import { DashboardHosting } from './constructs/DashboardHosting.js';
import { DirectPutArchive } from './constructs/DirectPutArchive.js';
import { EventStream } from './constructs/EventStream.js';
import { IngestFunction } from './constructs/IngestFunction.js';
import { PipelineApi } from './constructs/PipelineApi.js';
import { PipelineMonitoring } from './constructs/PipelineMonitoring.js';
import { QueryFunction } from './constructs/QueryFunction.js';
import { RawArchive } from './constructs/RawArchive.js';
import {
  ACCESS_LOG_DEFAULTS,
  ANALYTICS_DEFAULTS,
  INGEST_FUNCTION_DEFAULTS,
  PROJECT_NAME,
  REJECTS_DEFAULTS,
  STAGE_DEFAULTS,
  type Stage,
} from './defaults.js';
import { withinLambdaEnvironmentLimit } from './lambdaEnvironmentLimit.js';
import { secureBucket } from './secureBucket.js';

/** Props of {@link StreamfoldStack}. */
export interface StreamfoldStackProps extends StackProps {
  /**
   * The validated configuration, from `loadConfigFile()` or `loadConfig()`; the
   * file it was loaded from is bundled into the functions that need its catalog.
   */
  config: StreamfoldConfig;
  /** The stage; suffixes resource names and picks the stage defaults. */
  stage: Stage;
  /**
   * Address subscribed to the alarm topic.
   *
   * @default - no subscription
   */
  alarmEmail?: string;
}

/** Names that must be unique per account and region. */
export interface ResourceNames {
  stack: string;
  stream: string;
  /** The delivery stream that archives the Kinesis stream. */
  archiveStream: string;
  /** The direct-PUT delivery stream `FirehoseProducer` writes to. */
  directPutStream: string;
  table: string;
  glueDatabase: string;
  workGroup: string;
  /** Dashboard name and prefix of the alarm names. */
  monitoring: string;
  /** Name of the HTTP API. */
  api: string;
}

/**
 * The names of a stage's resources, from the configuration and the stage.
 *
 * @example
 * resourceNames(loadConfig(), 'prod').stream; // 'streamfold-events-prod'
 */
export function resourceNames(config: StreamfoldConfig, stage: Stage): ResourceNames {
  return {
    stack: `${PROJECT_NAME}-${stage}`,
    // Named (not generated) so producers, the load test and the docs can name them;
    // the stage suffix lets dev and prod share an account.
    stream: `${config.stream.name}-${stage}`,
    // Named so the archive role's trust policy can name it (aws:SourceArn).
    archiveStream: `${PROJECT_NAME}-archive-${stage}`,
    directPutStream: `${config.directPut.deliveryStreamName}-${stage}`,
    table: `${config.table.name}-${stage}`,
    glueDatabase: `${PROJECT_NAME}_${stage}`,
    workGroup: `${PROJECT_NAME}-${stage}`,
    monitoring: `${PROJECT_NAME}-${stage}`,
    api: `${PROJECT_NAME}-${stage}`,
  };
}

/**
 * The whole pipeline on AWS: producers write to the Kinesis stream; the
 * aggregate function folds batches into the DynamoDB table, with rejects and
 * on-failure records in the rejects bucket; Firehose archives the stream to S3,
 * queried through Glue and Athena; CloudWatch alarms notify an SNS topic.
 *
 * Every tunable comes from the configuration; AWS-only defaults from `defaults.ts`.
 */
export class StreamfoldStack extends Stack {
  /** The Kinesis stream and its key. */
  public readonly eventStream: EventStream;
  /** The DynamoDB aggregates table. */
  public readonly aggregatesTable: AggregatesTable;
  /** The aggregate function and its event source mapping. */
  public readonly aggregateFunction: AggregateFunction;
  /** Firehose and the archive bucket. */
  public readonly rawArchive: RawArchive;
  /** The direct-PUT delivery stream into the archive bucket. */
  public readonly directPutArchive: DirectPutArchive;
  /** Glue table and Athena workgroup over the archive. */
  public readonly archiveAnalytics: ArchiveAnalytics;
  /** Alarms, their topic and the dashboard. */
  public readonly monitoring: PipelineMonitoring;
  /** The IAM-authorized HTTP API: `POST <ingest.path>` and the `GET /api/...` query routes. */
  public readonly api: PipelineApi;
  /** The function behind `POST <ingest.path>`. */
  public readonly ingestFunction: IngestFunction;
  /** The read-only function behind the `GET /api/...` query routes. */
  public readonly queryFunction: QueryFunction;
  /** The dashboard behind CloudFront, when `dashboard.deploy` is on. */
  public readonly dashboardHosting?: DashboardHosting;

  public constructor(scope: Construct, id: string, props: StreamfoldStackProps) {
    super(scope, id, props);
    const { config, stage } = props;
    const { file: configFile } = configSourceOf(config);
    const stageDefaults = STAGE_DEFAULTS[stage];
    const names = resourceNames(config, stage);
    const storage = {
      removalPolicy: stageDefaults.dataRemovalPolicy,
      autoDeleteObjects: stageDefaults.autoDeleteObjects,
    };
    const streamRetention = cdkDuration('stream.retention', config.stream.retention);
    const maxRecordAge = cdkDuration('aggregation.maxRecordAge', config.aggregation.maxRecordAge);
    const bufferingInterval = cdkDuration(
      'archive.bufferingInterval',
      config.archive.bufferingInterval,
    );

    const accessLogs = secureBucket(this, 'AccessLogsBucket', {
      ...storage,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: ACCESS_LOG_DEFAULTS.expiration }],
    });
    // No access logs of its own: it is their target (cdk-nag S1 recognises that).

    this.eventStream = new EventStream(this, 'EventStream', {
      streamName: names.stream,
      streamMode:
        config.stream.capacityMode === 'on-demand'
          ? kinesis.StreamMode.ON_DEMAND
          : kinesis.StreamMode.PROVISIONED,
      shardCount: config.stream.capacityMode === 'on-demand' ? undefined : config.stream.shardCount,
      retentionPeriod: streamRetention,
    });
    const { stream } = this.eventStream;

    this.aggregatesTable = new AggregatesTable(this, 'AggregatesTable', {
      tableName: names.table,
      deletionProtection: stageDefaults.tableDeletionProtection,
      removalPolicy: stageDefaults.dataRemovalPolicy,
    });
    const { table } = this.aggregatesTable;

    const rejects = secureBucket(this, 'RejectsBucket', {
      ...storage,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'rejects/',
      lifecycleRules: [{ id: 'expire-rejects', expiration: REJECTS_DEFAULTS.expiration }],
    });

    this.aggregateFunction = new AggregateFunction(this, 'AggregateFunction', {
      configFile,
      stream,
      table,
      rejectsBucket: rejects,
      rejectsPrefix: config.rejects.rejectsPrefix,
      settings: aggregationSettingsOf(config),
      environment: withinLambdaEnvironmentLimit(
        'aggregate',
        aggregateFunctionEnvironment(config, {
          tableName: table.tableName,
          rejectsBucketName: rejects.bucketName,
        }),
      ),
      timeout: cdkDuration('aggregation.timeout', config.aggregation.timeout),
      memorySize: config.aggregation.memorySize,
      batchSize: config.aggregation.batchSize,
      maxBatchingWindow: cdkDuration(
        'aggregation.maxBatchingWindow',
        config.aggregation.maxBatchingWindow,
      ),
      bisectBatchOnError: config.aggregation.bisectBatchOnError,
      retryAttempts: config.aggregation.maxRetryAttempts,
      maxRecordAge,
      parallelizationFactor: config.aggregation.parallelizationFactor,
      enhancedFanOut: config.aggregation.enhancedFanOut,
      startingPosition: lambda.StartingPosition[config.aggregation.startingPosition],
      tracing: config.observability.tracing,
      logRetention: stageDefaults.logRetention,
      logRemovalPolicy: stageDefaults.dataRemovalPolicy,
    });

    const parquet = config.archive.format === 'parquet';
    const archiveTableName = ANALYTICS_DEFAULTS.tableName;
    this.rawArchive = new RawArchive(this, 'RawArchive', {
      ...storage,
      stream,
      deliveryStreamName: names.archiveStream,
      dataOutputPrefix: config.archive.prefix,
      errorOutputPrefix: config.archive.errorOutputPrefix,
      serverAccessLogsBucket: accessLogs,
      bufferingSize: Size.mebibytes(config.archive.bufferingSizeMiB),
      bufferingInterval,
      ...(parquet
        ? { parquetConversion: { databaseName: names.glueDatabase, tableName: archiveTableName } }
        : { compression: firehose.Compression.of(config.archive.compression) }),
      logRetention: stageDefaults.logRetention,
    });

    this.directPutArchive = new DirectPutArchive(this, 'DirectPutArchive', {
      bucket: this.rawArchive.bucket,
      deliveryStreamName: names.directPutStream,
      dataOutputPrefix: config.directPut.prefix,
      errorOutputPrefix: config.directPut.errorOutputPrefix,
      bufferingSize: Size.mebibytes(config.archive.bufferingSizeMiB),
      bufferingInterval,
      compression: firehose.Compression.of(config.archive.compression),
      logRetention: stageDefaults.logRetention,
      removalPolicy: stageDefaults.dataRemovalPolicy,
    });

    Validations.of(this).acknowledge({
      id: 'CloudFormation-Validate::W7001',
      reason:
        'The Firehose L2 construct adds a mapping of Firehose CIDR blocks per region for VPC destinations; with an S3 destination and no region fixed at synth time, it is rendered but never referenced.',
    });

    this.archiveAnalytics = new ArchiveAnalytics(this, 'ArchiveAnalytics', {
      ...storage,
      archiveBucket: this.rawArchive.bucket,
      dataOutputPrefix: config.archive.prefix,
      format: config.archive.format,
      tableName: archiveTableName,
      catalog: config.catalog,
      metrics: config.metrics,
      databaseName: names.glueDatabase,
      workGroupName: names.workGroup,
      serverAccessLogsBucket: accessLogs,
    });
    // Firehose reads the table's columns when it creates the stream and at each conversion.
    if (parquet) this.rawArchive.deliveryStream.node.addDependency(this.archiveAnalytics.table);

    this.ingestFunction = new IngestFunction(this, 'IngestFunction', {
      configFile,
      stream,
      environment: withinLambdaEnvironmentLimit(
        'ingest',
        ingestFunctionEnvironment(config, { streamName: stream.streamName }),
      ),
      timeout: cdkDuration('ingest.acknowledgeTimeout', config.ingest.acknowledgeTimeout).plus(
        INGEST_FUNCTION_DEFAULTS.timeoutBeyondAcknowledge,
      ),
      reservedConcurrentExecutions: config.ingest.reservedConcurrency,
      tracing: config.observability.tracing,
      logRetention: stageDefaults.logRetention,
      logRemovalPolicy: stageDefaults.dataRemovalPolicy,
    });
    this.api = new PipelineApi(this, 'Api', {
      apiName: names.api,
      allowOrigins: config.ingest.allowOrigins,
      logRetention: stageDefaults.logRetention,
      logRemovalPolicy: stageDefaults.dataRemovalPolicy,
    });
    this.api.addFunctionRoute(
      apigwv2.HttpMethod.POST,
      config.ingest.path,
      this.ingestFunction.handler,
    );
    this.queryFunction = new QueryFunction(this, 'QueryFunction', {
      table,
      settings: querySettingsOf(config),
      environment: withinLambdaEnvironmentLimit(
        'query',
        queryFunctionEnvironment(config, { tableName: table.tableName }),
      ),
      reservedConcurrentExecutions: config.query.reservedConcurrency,
      tracing: config.observability.tracing,
      logRetention: stageDefaults.logRetention,
      logRemovalPolicy: stageDefaults.dataRemovalPolicy,
    });
    for (const route of queryRoutes) {
      this.api.addFunctionRoute(
        apigwv2.HttpMethod[route.method],
        route.path,
        this.queryFunction.handler,
      );
    }

    if (config.dashboard.deploy) {
      this.dashboardHosting = new DashboardHosting(this, 'DashboardHosting', {
        ...storage,
        queryFunction: this.queryFunction.handler,
        serverAccessLogsBucket: accessLogs,
        logRetention: stageDefaults.logRetention,
        domainName: config.dashboard.domainName,
        certificate:
          config.dashboard.certificateArn === undefined
            ? undefined
            : acm.Certificate.fromCertificateArn(
                this,
                'DashboardCertificate',
                config.dashboard.certificateArn,
              ),
      });
    }

    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      stream,
      streamRetentionPeriod: streamRetention,
      aggregateFunction: this.aggregateFunction.handler,
      eventSourceMappingId: this.aggregateFunction.eventSource.eventSourceMappingId,
      maxRecordAge,
      table,
      deliveryStream: this.rawArchive.deliveryStream,
      formatConversion: parquet,
      bufferingInterval,
      customMetricsNamespace: METRICS_NAMESPACE,
      serviceName: AGGREGATE_SERVICE_NAME,
      rejectRateAlarmThreshold: config.observability.rejectRateAlarmThreshold,
      namePrefix: names.monitoring,
      alarmEmail: props.alarmEmail,
    });

    const outputs: Record<string, [string, string]> = {
      StreamName: [stream.streamName, 'Kinesis stream producers write to'],
      StreamArn: [stream.streamArn, 'For producer IAM policies (kinesis:PutRecords)'],
      StreamKeyArn: [
        this.eventStream.encryptionKey.keyArn,
        'For producer IAM policies (kms:GenerateDataKey)',
      ],
      AggregatesTableName: [table.tableName, 'DynamoDB table of aggregates'],
      AggregateFunctionLogGroup: [
        this.aggregateFunction.logGroup.logGroupName,
        'Logs of the aggregate function',
      ],
      RejectsBucketName: [rejects.bucketName, 'Refused events and on-failure records'],
      ArchiveBucketName: [
        this.rawArchive.bucket.bucketName,
        `Raw event archive (${ARCHIVE_TABLE_FORMATS[config.archive.format].describedAs})`,
      ],
      DirectPutStreamName: [
        this.directPutArchive.deliveryStream.deliveryStreamName,
        'Firehose delivery stream FirehoseProducer writes to (direct PUT)',
      ],
      DirectPutStreamArn: [
        this.directPutArchive.deliveryStream.deliveryStreamArn,
        'For producer IAM policies (firehose:PutRecordBatch)',
      ],
      GlueDatabaseName: [names.glueDatabase, 'Glue database of the archive table'],
      AthenaWorkGroupName: [names.workGroup, 'Athena workgroup for archive queries'],
      AlarmTopicArn: [this.monitoring.alarmTopic.topicArn, 'SNS topic of the alarms'],
      DashboardName: [names.monitoring, 'CloudWatch dashboard'],
      HttpApiUrl: [this.api.url, 'Base URL of the IAM-authorized HTTP API'],
      IngestUrl: [
        `${this.api.url}${config.ingest.path.slice(1)}`,
        'POST a JSON array of events here, signed with SigV4 for service execute-api',
      ],
      IngestInvokeArn: [
        this.api.arnForRoute('POST', config.ingest.path),
        'For producer IAM policies (execute-api:Invoke), for example a Cognito identity pool role',
      ],
      IngestFunctionLogGroup: [
        this.ingestFunction.logGroup.logGroupName,
        'Logs of the ingest function',
      ],
      HttpApiAccessLogGroup: [this.api.accessLogGroup.logGroupName, 'HTTP API access logs'],
      QueryInvokeArn: [
        this.api.arnForRoute('GET', '/api/*'),
        'For dashboard IAM policies (execute-api:Invoke on the query routes)',
      ],
    };
    if (this.dashboardHosting !== undefined) {
      outputs.DashboardUrl = [
        `https://${config.dashboard.domainName ?? this.dashboardHosting.distribution.distributionDomainName}/`,
        'The dashboard; HTTP Basic authentication with the credential set in DashboardCredentialStoreArn',
      ];
      outputs.DashboardCredentialStoreArn = [
        this.dashboardHosting.credentialStore.keyValueStoreArn,
        'CloudFront key value store of the dashboard credential (see docs/deploy.md)',
      ];
    }
    for (const [outputId, [value, description]] of Object.entries(outputs)) {
      new CfnOutput(this, outputId, { value, description });
    }
  }
}
