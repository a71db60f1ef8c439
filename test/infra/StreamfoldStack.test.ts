import type { CfnElement } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_OVER_GROUP_CAP_METRIC } from '../../core/aggregates/GroupRegistry.js';
import { staticRootOf } from '../../core/codec/firehosePrefix.js';
import {
  AGGREGATE_SERVICE_NAME,
  METRICS_NAMESPACE,
} from '../../core/config/aggregateFunctionEnvironment.js';
import { DEFAULT_DECLARED_CONFIG, loadConfig } from '../../core/config/loadConfig.js';
import { parseDuration } from '../../core/duration.js';
import {
  ACCESS_LOG_DEFAULTS,
  ANALYTICS_DEFAULTS,
  ARCHIVE_DEFAULTS,
  BUCKET_DEFAULTS,
  EVENT_SOURCE_MAPPING_DEFAULTS,
  MONITORING_DEFAULTS,
  REJECTS_DEFAULTS,
  STAGE_DEFAULTS,
} from '../../infra/defaults.js';
import type { StreamfoldStack } from '../../infra/StreamfoldStack.js';
import { firehoseTrustStatement } from './firehoseTrustStatement.js';
import { type SynthesizedApp, synthStreamfoldApp } from './synthStreamfoldApp.js';

const config = loadConfig();

/** `{ Ref: <logical id> }` of a construct's CloudFormation resource. */
function refOf(stack: StreamfoldStack, construct: IConstruct) {
  return { Ref: logicalIdOf(stack, construct) };
}

function arnOf(stack: StreamfoldStack, construct: IConstruct) {
  return { 'Fn::GetAtt': [logicalIdOf(stack, construct), 'Arn'] };
}

function logicalIdOf(stack: StreamfoldStack, construct: IConstruct): string {
  // L2 constructs hold their CloudFormation resource as default child; L1s are one.
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return stack.resolve(element.logicalId) as string;
}

function objectsArn(stack: StreamfoldStack, bucket: IConstruct, keyPattern: string) {
  return { 'Fn::Join': ['', [arnOf(stack, bucket), `/${keyPattern}`]] };
}

describe('StreamfoldStack (dev stage)', () => {
  let synthesized: SynthesizedApp;
  let template: Template;
  let stack: StreamfoldStack;

  beforeAll(() => {
    // Prepare (once per file: synthesis takes seconds)
    synthesized = synthStreamfoldApp({ context: { stage: 'dev' } });
    template = synthesized.template;
    stack = synthesized.stack;
  });

  afterAll(() => synthesized.cleanUp());

  describe('EventStream', () => {
    it('creates one provisioned stream encrypted with its own rotated key', () => {
      template.resourceCountIs('AWS::Kinesis::Stream', 1);
      template.resourceCountIs('AWS::KMS::Key', 1);
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      template.hasResource('AWS::Kinesis::Stream', {
        Properties: {
          Name: `${config.stream.name}-dev`,
          StreamModeDetails: { StreamMode: 'PROVISIONED' },
          StreamEncryption: {
            EncryptionType: 'KMS',
            KeyId: arnOf(stack, stack.eventStream.encryptionKey),
          },
        },
        DeletionPolicy: 'Delete',
      });
    });
  });

  describe('AggregatesTable', () => {
    it('creates an on-demand table with pk/sk, a keys-only index by metric, TTL and point-in-time recovery', () => {
      template.resourceCountIs('AWS::DynamoDB::Table', 1);
      template.hasResource('AWS::DynamoDB::Table', {
        Properties: {
          TableName: `${config.table.name}-dev`,
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
            { AttributeName: 'metric', AttributeType: 'S' },
          ],
          GlobalSecondaryIndexes: [
            {
              IndexName: 'byMetric',
              KeySchema: [
                { AttributeName: 'metric', KeyType: 'HASH' },
                { AttributeName: 'sk', KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'KEYS_ONLY' },
            },
          ],
          BillingMode: 'PAY_PER_REQUEST',
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: false,
        },
        DeletionPolicy: 'Delete',
      });
    });
  });

  describe('AggregateFunction', () => {
    it('runs the handler on arm64 Node.js 24 with JSON logs to its own log group', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.handler',
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        LoggingConfig: {
          LogFormat: 'JSON',
          ApplicationLogLevel: 'INFO',
          SystemLogLevel: 'WARN',
          LogGroup: refOf(stack, stack.aggregateFunction.logGroup),
        },
        Role: arnOf(stack, stack.aggregateFunction.role),
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        RetentionInDays: STAGE_DEFAULTS.dev.logRetention,
      });
    });

    it('uses its own role without any managed policy', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Action: 'sts:AssumeRole',
              Effect: 'Allow',
              Principal: { Service: 'lambda.amazonaws.com' },
            },
          ],
        },
        ManagedPolicyArns: Match.absent(),
      });
    });

    it('grants exactly logs, two table actions, scoped S3 writes and stream read', () => {
      const rejects = stack.node.findChild('RejectsBucket');
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [refOf(stack, stack.aggregateFunction.role)],
        PolicyDocument: {
          Statement: [
            {
              Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              Effect: 'Allow',
              Resource: arnOf(stack, stack.aggregateFunction.logGroup),
            },
            {
              Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
              Effect: 'Allow',
              Resource: arnOf(stack, stack.aggregatesTable.table),
            },
            {
              // cdk.json's @aws-cdk/aws-iam:minimizePolicies merges statements and sorts.
              Action: 's3:PutObject',
              Effect: 'Allow',
              Resource: [
                objectsArn(stack, rejects, 'aws/lambda/*'),
                objectsArn(stack, rejects, `${config.rejects.rejectsPrefix}*`),
              ],
            },
            { Action: 's3:ListBucket', Effect: 'Allow', Resource: arnOf(stack, rejects) },
            {
              Action: [
                'kinesis:DescribeStream',
                'kinesis:DescribeStreamConsumer',
                'kinesis:DescribeStreamSummary',
                'kinesis:GetRecords',
                'kinesis:GetShardIterator',
                'kinesis:ListShards',
                'kinesis:ListStreams',
                'kinesis:SubscribeToShard',
              ],
              Effect: 'Allow',
              Resource: arnOf(stack, stack.eventStream.stream),
            },
            {
              Action: 'kms:Decrypt',
              Effect: 'Allow',
              Resource: arnOf(stack, stack.eventStream.encryptionKey),
            },
          ],
        },
      });
    });

    it('maps the stream with partial batch responses, EventCount metrics and the rejects bucket on failure', () => {
      template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: arnOf(stack, stack.eventStream.stream),
        FunctionName: refOf(stack, stack.aggregateFunction.handler),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        MetricsConfig: { Metrics: ['EventCount'] },
        DestinationConfig: {
          OnFailure: { Destination: arnOf(stack, stack.node.findChild('RejectsBucket')) },
        },
      });
    });
  });

  describe('defaults of aggregation.enhancedFanOut and reserved concurrency', () => {
    it('reads the stream without an enhanced fan-out consumer', () => {
      expect(stack.aggregateFunction.consumer).toBeUndefined();
      template.resourceCountIs('AWS::Kinesis::StreamConsumer', 0);
    });

    it('reserves no concurrency for the ingest and query functions', () => {
      for (const fn of [stack.ingestFunction.handler, stack.queryFunction.handler]) {
        const properties = (
          template.toJSON().Resources[logicalIdOf(stack, fn)] as {
            Properties: Record<string, unknown>;
          }
        ).Properties;
        expect(properties).not.toHaveProperty('ReservedConcurrentExecutions');
      }
    });
  });

  describe('buckets', () => {
    it('creates six private, encrypted, TLS-only buckets (two for the dashboard)', () => {
      template.resourceCountIs('AWS::S3::Bucket', 6);
      template.allResourcesProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      });
      template.resourcePropertiesCountIs(
        'AWS::S3::BucketPolicy',
        {
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Action: 's3:*',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
              Match.objectLike({
                Effect: 'Deny',
                Action: 's3:*',
                Condition: {
                  NumericLessThan: { 's3:TlsVersion': BUCKET_DEFAULTS.minimumTLSVersion },
                },
              }),
            ]),
          },
        },
        6,
      );
    });

    it('sends server access logs of the other three buckets to the access log bucket', () => {
      const accessLogs = stack.node.findChild('AccessLogsBucket');
      for (const prefix of ['archive/', 'rejects/', 'athena-results/']) {
        template.hasResourceProperties('AWS::S3::Bucket', {
          LoggingConfiguration: {
            DestinationBucketName: refOf(stack, accessLogs),
            LogFilePrefix: prefix,
          },
        });
      }
      template.hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: {
          Rules: [
            Match.objectLike({
              AbortIncompleteMultipartUpload: {
                DaysAfterInitiation: BUCKET_DEFAULTS.abortIncompleteMultipartUploadAfter.toDays(),
              },
            }),
            {
              Id: 'expire-access-logs',
              ExpirationInDays: ACCESS_LOG_DEFAULTS.expiration.toDays(),
              Status: 'Enabled',
            },
          ],
        },
        LoggingConfiguration: Match.absent(),
      });
    });

    it('expires rejects after their retention', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: {
          Rules: [
            Match.objectLike({ Id: 'abort-incomplete-multipart-uploads' }),
            {
              Id: 'expire-rejects',
              ExpirationInDays: REJECTS_DEFAULTS.expiration.toDays(),
              Status: 'Enabled',
            },
          ],
        },
        LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'rejects/' }),
      });
    });

    it('empties every bucket on stack deletion in dev', () => {
      template.resourceCountIs('Custom::S3AutoDeleteObjects', 6);
      template.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    });
  });

  describe('RawArchive', () => {
    it('versions the archive and tiers it down to storage classes Athena can still read', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        VersioningConfiguration: { Status: 'Enabled' },
        LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'archive/' }),
        LifecycleConfiguration: {
          Rules: [
            Match.objectLike({ Id: 'abort-incomplete-multipart-uploads' }),
            {
              Id: 'tier-down-and-expire-old-versions',
              Status: 'Enabled',
              Transitions: [
                {
                  StorageClass: 'STANDARD_IA',
                  TransitionInDays: ARCHIVE_DEFAULTS.infrequentAccessAfter.toDays(),
                },
                {
                  StorageClass: 'GLACIER_IR',
                  TransitionInDays: ARCHIVE_DEFAULTS.glacierInstantRetrievalAfter.toDays(),
                },
              ],
              NoncurrentVersionExpiration: {
                NoncurrentDays: ARCHIVE_DEFAULTS.noncurrentVersionExpiration.toDays(),
              },
            },
            {
              Id: 'expire-delivery-errors',
              Status: 'Enabled',
              Prefix: 'errors/',
              ExpirationInDays: ARCHIVE_DEFAULTS.errorOutputExpiration.toDays(),
            },
          ],
        },
      });
    });

    it('delivers from the stream to the archive bucket with gzip and CloudWatch logging', () => {
      // The other delivery stream is the direct-PUT one (DirectPutArchive).
      template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 2);
      template.hasResource('AWS::KinesisFirehose::DeliveryStream', {
        Properties: {
          DeliveryStreamType: 'KinesisStreamAsSource',
          KinesisStreamSourceConfiguration: {
            KinesisStreamARN: arnOf(stack, stack.eventStream.stream),
            RoleARN: arnOf(stack, stack.rawArchive.role),
          },
          ExtendedS3DestinationConfiguration: {
            BucketARN: arnOf(stack, stack.rawArchive.bucket),
            RoleARN: arnOf(stack, stack.rawArchive.role),
            CompressionFormat: 'GZIP',
            CloudWatchLoggingOptions: {
              Enabled: true,
              LogGroupName: refOf(stack, stack.rawArchive.logGroup),
            },
          },
        },
        // Created only once its role may read the stream and write the bucket.
        DependsOn: [Match.stringLikeRegexp('^RawArchiveRoleDefaultPolicy')],
      });
    });

    it('grants Firehose the documented S3 actions without delete, plus stream read and logs', () => {
      const bucket = stack.rawArchive.bucket;
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [refOf(stack, stack.rawArchive.role)],
        PolicyDocument: {
          Statement: [
            {
              Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
              Effect: 'Allow',
              Resource: arnOf(stack, bucket),
            },
            {
              // Only the static folders of archive.prefix and archive.errorOutputPrefix
              // (sorted by minimizePolicies): never direct/ nor the rest of the bucket.
              Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
              Effect: 'Allow',
              Resource: [
                objectsArn(stack, bucket, `${staticRootOf(config.archive.errorOutputPrefix)}*`),
                objectsArn(stack, bucket, `${staticRootOf(config.archive.prefix)}*`),
              ],
            },
            {
              Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              Effect: 'Allow',
              Resource: arnOf(stack, stack.rawArchive.logGroup),
            },
            Match.objectLike({ Resource: arnOf(stack, stack.eventStream.stream) }),
            {
              Action: 'kms:Decrypt',
              Effect: 'Allow',
              Resource: arnOf(stack, stack.eventStream.encryptionKey),
            },
          ],
        },
      });
    });

    it('lets only Firehose acting for this account and its own delivery stream assume each role', () => {
      template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
        DeliveryStreamName: 'streamfold-archive-dev',
        DeliveryStreamType: 'KinesisStreamAsSource',
      });
      const trustOf = (role: IConstruct) =>
        (
          template.toJSON().Resources[logicalIdOf(stack, role)] as {
            Properties: { AssumeRolePolicyDocument: unknown };
          }
        ).Properties.AssumeRolePolicyDocument;
      expect(trustOf(stack.rawArchive.role)).toEqual({
        Statement: [firehoseTrustStatement('streamfold-archive-dev')],
        Version: '2012-10-17',
      });
      expect(trustOf(stack.directPutArchive.role)).toEqual({
        Statement: [firehoseTrustStatement(`${config.directPut.deliveryStreamName}-dev`)],
        Version: '2012-10-17',
      });
    });
  });

  describe('ArchiveAnalytics', () => {
    it('creates the Glue database and a projected JSON table over the archive', () => {
      template.hasResourceProperties('AWS::Glue::Database', {
        DatabaseInput: { Name: 'streamfold_dev' },
      });
      template.hasResourceProperties('AWS::Glue::Table', {
        DatabaseName: 'streamfold_dev',
        TableInput: {
          Name: ANALYTICS_DEFAULTS.tableName,
          TableType: 'EXTERNAL_TABLE',
          PartitionKeys: [
            { Name: 'year', Type: 'int' },
            { Name: 'month', Type: 'int' },
            { Name: 'day', Type: 'int' },
            { Name: 'hour', Type: 'int' },
          ],
          Parameters: {
            'projection.enabled': 'true',
            'projection.year.type': 'integer',
            'projection.year.range': `${ANALYTICS_DEFAULTS.firstYear},${ANALYTICS_DEFAULTS.lastYear}`,
            'projection.year.digits': '4',
            'projection.month.type': 'integer',
            'projection.month.range': '1,12',
            'projection.month.digits': '2',
            'projection.day.type': 'integer',
            'projection.day.range': '1,31',
            'projection.day.digits': '2',
            'projection.hour.type': 'integer',
            'projection.hour.range': '0,23',
            'projection.hour.digits': '2',
          },
          StorageDescriptor: {
            Location: {
              'Fn::Join': ['', ['s3://', refOf(stack, stack.rawArchive.bucket), '/events/']],
            },
            InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
            SerdeInfo: {
              SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
              Parameters: { 'ignore.malformed.json': 'TRUE' },
            },
            Columns: [
              { Name: 'id', Type: 'string' },
              { Name: 'type', Type: 'string' },
              { Name: 'time', Type: 'string' },
              { Name: 'source', Type: 'string' },
              {
                Name: 'data',
                Type: Match.stringLikeRegexp(
                  '^struct<.*country:string.*amount:double.*items:bigint.*>$',
                ),
              },
            ],
          },
        },
      });
    });

    it('enforces an encrypted result location in the Athena workgroup', () => {
      template.hasResourceProperties('AWS::Athena::WorkGroup', {
        Name: 'streamfold-dev',
        WorkGroupConfiguration: {
          EnforceWorkGroupConfiguration: true,
          BytesScannedCutoffPerQuery: ANALYTICS_DEFAULTS.bytesScannedCutoffPerQuery,
          ResultConfiguration: {
            EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
            OutputLocation: {
              'Fn::Join': [
                '',
                ['s3://', refOf(stack, stack.archiveAnalytics.resultsBucket), '/results/'],
              ],
            },
          },
        },
      });
    });

    it('saves a distinct-events query and one query per declared metric', () => {
      template.resourceCountIs('AWS::Athena::NamedQuery', 1 + config.metrics.length);
      const workGroup = refOf(stack, stack.archiveAnalytics.workGroup);
      for (const name of [
        'distinct events today',
        'events by type per hour',
        'revenue by country per hour',
      ]) {
        template.hasResourceProperties('AWS::Athena::NamedQuery', {
          Name: name,
          Database: 'streamfold_dev',
          WorkGroup: workGroup,
          QueryString: Match.stringLikeRegexp(
            'PARTITION BY id ORDER BY "time"[\\s\\S]*FROM "streamfold_dev"."events"',
          ),
        });
      }
      template.hasResourceProperties('AWS::Athena::NamedQuery', {
        Name: 'revenue by country per hour',
        QueryString: Match.stringLikeRegexp(
          'data.country AS "country"[\\s\\S]*sum\\(CAST\\(data.amount AS DECIMAL\\(38, 12\\)\\)\\) AS "sum"[\\s\\S]*approx_percentile\\(data.amount, 0.99\\) AS "p99"[\\s\\S]*WHERE type IN \\(\'purchase\'\\)',
        ),
      });
    });
  });

  describe('PipelineMonitoring', () => {
    const alarmNamed = (name: string) => `streamfold-dev-${name}`;

    it('alarms on the stream iterator age at half the stream retention', () => {
      const retentionMs = parseDuration(config.stream.retention) ?? Number.NaN;
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: alarmNamed('stream-iterator-age'),
        Namespace: 'AWS/Kinesis',
        MetricName: 'GetRecords.IteratorAgeMilliseconds',
        Statistic: 'Maximum',
        Threshold: retentionMs * MONITORING_DEFAULTS.iteratorAgeFractionOfRetention,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: MONITORING_DEFAULTS.lagEvaluationPeriods,
        TreatMissingData: 'notBreaching',
      });
    });

    it('alarms on the function iterator age at half the maximum record age', () => {
      const maxRecordAgeMs = parseDuration(config.aggregation.maxRecordAge) ?? Number.NaN;
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: alarmNamed('function-iterator-age'),
        Namespace: 'AWS/Lambda',
        MetricName: 'IteratorAge',
        Threshold: maxRecordAgeMs * MONITORING_DEFAULTS.iteratorAgeFractionOfMaxRecordAge,
      });
    });

    it.each([
      ['function-errors', 'AWS/Lambda', 'Errors'],
      ['function-throttles', 'AWS/Lambda', 'Throttles'],
      ['on-failure-delivery-failures', 'AWS/Lambda', 'DestinationDeliveryFailures'],
    ])('alarms on the first %s in five minutes', (name, namespace, metricName) => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: alarmNamed(name),
        Namespace: namespace,
        MetricName: metricName,
        Dimensions: [
          { Name: 'FunctionName', Value: refOf(stack, stack.aggregateFunction.handler) },
        ],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
      });
    });

    it('alarms on records delivered to the on-failure destination by the mapping', () => {
      const mapping = stack.aggregateFunction.eventSource.eventSourceMappingId;
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: alarmNamed('on-failure-records'),
        Namespace: 'AWS/Lambda',
        MetricName: 'OnFailureDestinationDeliveredEventCount',
        Dimensions: [{ Name: 'EventSourceMappingUUID', Value: stack.resolve(mapping) }],
        Statistic: 'Sum',
        Threshold: 1,
      });
    });

    it('alarms on DynamoDB throttles of the operations the function uses', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: alarmNamed('table-throttles'),
        Threshold: 1,
        Metrics: Match.arrayWith([
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: Match.objectLike({
                MetricName: 'ThrottledRequests',
                Dimensions: Match.arrayWith([{ Name: 'Operation', Value: 'UpdateItem' }]),
              }),
            }),
          }),
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: Match.objectLike({
                Dimensions: Match.arrayWith([{ Name: 'Operation', Value: 'GetItem' }]),
              }),
            }),
          }),
        ]),
      });
    });

    it('alarms on Firehose data freshness at five buffering intervals', () => {
      const intervalS = (parseDuration(config.archive.bufferingInterval) ?? Number.NaN) / 1_000;
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: alarmNamed('archive-data-freshness'),
        Namespace: 'AWS/Firehose',
        MetricName: 'DeliveryToS3.DataFreshness',
        Threshold: Math.max(
          intervalS * MONITORING_DEFAULTS.dataFreshnessBufferingIntervals,
          MONITORING_DEFAULTS.minDataFreshnessThreshold.toSeconds(),
        ),
      });
    });

    it('alarms on the first event folded into __other__ by a full group cap, over every metric', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: alarmNamed('events-over-group-cap'),
        AlarmDescription: Match.stringLikeRegexp('metrics\\.N\\.maxGroups'),
        Namespace: METRICS_NAMESPACE,
        MetricName: EVENTS_OVER_GROUP_CAP_METRIC,
        Dimensions: [{ Name: 'service', Value: AGGREGATE_SERVICE_NAME }],
        Statistic: 'Sum',
        Period: MONITORING_DEFAULTS.period.toSeconds(),
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
    });

    it('sends every alarm and recovery to the SSL-only topic, with no subscriber unless asked', () => {
      const topic = refOf(stack, stack.monitoring.alarmTopic);
      template.resourceCountIs('AWS::CloudWatch::Alarm', 10);
      template.allResourcesProperties('AWS::CloudWatch::Alarm', {
        AlarmActions: [topic],
        OKActions: [topic],
      });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: [
            Match.objectLike({
              Effect: 'Deny',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ],
        },
      });
      template.resourceCountIs('AWS::SNS::Subscription', 0);
      template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    });
  });

  describe('outputs', () => {
    it('exports the names a deployer needs', () => {
      const outputs = Object.keys(template.findOutputs('*'));
      expect(outputs).toEqual(
        expect.arrayContaining([
          'StreamName',
          'StreamArn',
          'StreamKeyArn',
          'AggregatesTableName',
          'RejectsBucketName',
          'ArchiveBucketName',
          'DirectPutStreamName',
          'DirectPutStreamArn',
          'GlueDatabaseName',
          'AthenaWorkGroupName',
          'AlarmTopicArn',
        ]),
      );
    });
  });
});

describe('StreamfoldStack (prod stage, on-demand, alarm e-mail)', () => {
  let synthesized: SynthesizedApp;
  let template: Template;

  beforeAll(() => {
    // Prepare
    synthesized = synthStreamfoldApp({
      context: { stage: 'prod', capacityMode: 'on-demand', alarmEmail: 'ops@example.com' },
    });
    template = synthesized.template;
  });

  afterAll(() => synthesized.cleanUp());

  it('names the stack and resources after the stage', () => {
    expect(synthesized.stack.stackName).toBe('streamfold-prod');
    template.hasResourceProperties('AWS::Kinesis::Stream', { Name: `${config.stream.name}-prod` });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: `${config.table.name}-prod`,
    });
  });

  it('creates an on-demand stream without a shard count when capacityMode is on-demand', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      ShardCount: Match.absent(),
    });
  });

  it('protects and retains the table', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('retains every bucket and log group and never empties a bucket', () => {
    template.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    template.allResources('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
    template.allResourcesProperties('AWS::Logs::LogGroup', {
      RetentionInDays: STAGE_DEFAULTS.prod.logRetention,
    });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  it('subscribes the alarm e-mail to the topic', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: Match.stringLikeRegexp('^MonitoringAlarmTopic') },
    });
  });
});

describe('StreamfoldStack (aggregation.enhancedFanOut and reserved concurrency set)', () => {
  let synthesized: SynthesizedApp;
  let template: Template;
  let stack: StreamfoldStack;

  beforeAll(() => {
    // Prepare: the shipped configuration with the three settings changed
    const declared = DEFAULT_DECLARED_CONFIG.declared as Record<string, Record<string, unknown>>;
    synthesized = synthStreamfoldApp({
      context: { stage: 'dev' },
      declared: {
        file: DEFAULT_DECLARED_CONFIG.file,
        declared: {
          ...declared,
          aggregation: { ...declared.aggregation, enhancedFanOut: true },
          ingest: { ...declared.ingest, reservedConcurrency: 20 },
          query: { ...declared.query, reservedConcurrency: 5 },
        },
      },
    });
    template = synthesized.template;
    stack = synthesized.stack;
  });

  afterAll(() => synthesized.cleanUp());

  it('maps the aggregate function to an enhanced fan-out consumer of the stream', () => {
    const consumer = stack.aggregateFunction.consumer as IConstruct;
    const consumerArn = { 'Fn::GetAtt': [logicalIdOf(stack, consumer), 'ConsumerARN'] };
    template.resourceCountIs('AWS::Kinesis::StreamConsumer', 1);
    template.hasResourceProperties('AWS::Kinesis::StreamConsumer', {
      ConsumerName: EVENT_SOURCE_MAPPING_DEFAULTS.enhancedFanOutConsumerName,
      StreamARN: arnOf(stack, stack.eventStream.stream),
    });
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: consumerArn,
      FunctionName: refOf(stack, stack.aggregateFunction.handler),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MetricsConfig: { Metrics: ['EventCount'] },
      DestinationConfig: {
        OnFailure: { Destination: arnOf(stack, stack.node.findChild('RejectsBucket')) },
      },
    });
    // The consumer actions on the consumer's ARN, besides the stream read of the default.
    const policy = template.toJSON().Resources[
      logicalIdOf(stack, stack.aggregateFunction.role.node.findChild('DefaultPolicy'))
    ] as { Properties: { PolicyDocument: { Statement: unknown[] } } };
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual({
      Action: ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'],
      Effect: 'Allow',
      Resource: consumerArn,
    });
  });

  it('reserves the configured concurrency for the ingest and query functions', () => {
    for (const [fn, reserved] of [
      [stack.ingestFunction.handler, 20],
      [stack.queryFunction.handler, 5],
    ] as const) {
      const properties = (
        template.toJSON().Resources[logicalIdOf(stack, fn)] as {
          Properties: Record<string, unknown>;
        }
      ).Properties;
      expect(properties.ReservedConcurrentExecutions).toBe(reserved);
    }
  });
});
