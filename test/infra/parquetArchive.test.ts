import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DECLARED_CONFIG, loadConfig } from '../../core/config/loadConfig.js';
import { ANALYTICS_DEFAULTS } from '../../infra/defaults.js';
import type { StreamfoldStack } from '../../infra/StreamfoldStack.js';
import { type SynthesizedApp, synthStreamfoldApp } from './synthStreamfoldApp.js';

/**
 * What Firehose documents about record format conversion, quoted from the AWS docs:
 *
 * "DataFormatConversionConfiguration"
 * (https://docs.aws.amazon.com/firehose/latest/APIReference/API_DataFormatConversionConfiguration.html):
 * "Firehose uses the serializer and deserializer that you specify, in addition to
 * the column information from the AWS Glue table, to deserialize your input data
 * from JSON and then serialize it to the Parquet or ORC format."
 *
 * "Enable record format conversion"
 * (https://docs.aws.amazon.com/firehose/latest/dev/enable-record-format-conversion.html):
 * "Also, Amazon S3 compression gets disabled when you enable format conversion.
 * However, Snappy compression happens automatically as part of the conversion
 * process."
 *
 * "Convert input data format in Amazon Data Firehose"
 * (https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html):
 * "When combining multiple JSON documents into the same record, make sure that your
 * input is still presented in the supported JSON format. An array of JSON documents
 * is not a valid input." (the producer's NDJSON records are such documents)
 *
 * aws-cdk-lib's `S3BucketProps.fileExtension`: "It will override the default file
 * extension appended by Data Format Conversion or S3 compression features such as
 * `.parquet` or `.gz`." The stack sets `.parquet` explicitly, the ending archive
 * readers look for.
 *
 * "Handling errors for data format conversion"
 * (https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion-error-handling.html):
 * "When Amazon Data Firehose can't parse or deserialize a record (for example,
 * when the data doesn't match the schema), it writes it to Amazon S3 with an
 * error prefix."
 */
const config = loadConfig();

function logicalIdOf(stack: StreamfoldStack, construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return stack.resolve(element.logicalId) as string;
}

function arnOf(stack: StreamfoldStack, construct: IConstruct) {
  return { 'Fn::GetAtt': [logicalIdOf(stack, construct), 'Arn'] };
}

/** `arn:${Partition}:glue:${Region}:${AccountId}:<resource>`, as the stack renders it. */
function glueArn(resource: string) {
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':glue:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:${resource}`,
      ],
    ],
  };
}

function synthWithFormat(format: 'json' | 'parquet', stage = 'dev'): SynthesizedApp {
  const declared = DEFAULT_DECLARED_CONFIG.declared as Record<string, Record<string, unknown>>;
  return synthStreamfoldApp({
    context: { stage, alarmEmail: 'ops@example.com' },
    declared: {
      file: DEFAULT_DECLARED_CONFIG.file,
      declared: { ...declared, archive: { ...declared.archive, format } },
    },
  });
}

describe('StreamfoldStack with archive.format "parquet"', () => {
  let synthesized: SynthesizedApp;
  let template: Template;
  let stack: StreamfoldStack;

  beforeAll(() => {
    // Prepare (once: synthesis takes seconds)
    synthesized = synthWithFormat('parquet');
    template = synthesized.template;
    stack = synthesized.stack;
  });

  afterAll(() => synthesized.cleanUp());

  it('converts every record to Parquet against the stack Glue table, without S3 compression or a delimiter', () => {
    // Act
    const resources = template.toJSON().Resources as Record<string, { Properties: unknown }>;
    const stream = resources[logicalIdOf(stack, stack.rawArchive.deliveryStream)] as {
      Properties: { ExtendedS3DestinationConfiguration: Record<string, unknown> };
      DependsOn: string[];
    };

    // Assess: the whole destination, so a compression or processor setting cannot slip in
    const destination = stream.Properties.ExtendedS3DestinationConfiguration;
    expect(destination).toEqual({
      BucketARN: arnOf(stack, stack.rawArchive.bucket),
      RoleARN: arnOf(stack, stack.rawArchive.role),
      BufferingHints: { IntervalInSeconds: 60, SizeInMBs: config.archive.bufferingSizeMiB },
      CloudWatchLoggingOptions: {
        Enabled: true,
        LogGroupName: { Ref: logicalIdOf(stack, stack.rawArchive.logGroup) },
        LogStreamName: {
          Ref: logicalIdOf(stack, stack.rawArchive.logGroup.node.findChild('S3Destination')),
        },
      },
      DataFormatConversionConfiguration: {
        Enabled: true,
        InputFormatConfiguration: {
          Deserializer: { OpenXJsonSerDe: { CaseInsensitive: true } },
        },
        OutputFormatConfiguration: {
          Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } },
        },
        SchemaConfiguration: {
          CatalogId: { Ref: 'AWS::AccountId' },
          Region: { Ref: 'AWS::Region' },
          DatabaseName: 'streamfold_dev',
          TableName: ANALYTICS_DEFAULTS.tableName,
          RoleARN: arnOf(stack, stack.rawArchive.role),
          VersionId: 'LATEST',
        },
      },
      ErrorOutputPrefix: config.archive.errorOutputPrefix,
      FileExtension: '.parquet',
      Prefix: config.archive.prefix,
    });
    // Created after the table it reads its columns from.
    expect(stream.DependsOn).toContain(logicalIdOf(stack, stack.archiveAnalytics.table));
  });

  it('sends records that cannot be converted under the error prefix, by error output type', () => {
    // Assess: Firehose fills the type with "format-conversion-failed" for them
    expect(config.archive.errorOutputPrefix).toContain('!{firehose:error-output-type}');
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamName: 'streamfold-archive-dev',
      ExtendedS3DestinationConfiguration: Match.objectLike({
        ErrorOutputPrefix: config.archive.errorOutputPrefix,
      }),
    });
  });

  it('lets the delivery role read only this table of the Data Catalog', () => {
    // Act
    const policy = template.toJSON().Resources[
      logicalIdOf(stack, stack.rawArchive.role.node.findChild('DefaultPolicy'))
    ] as { Properties: { PolicyDocument: { Statement: unknown[] } } };
    const glueStatements = policy.Properties.PolicyDocument.Statement.filter((statement) =>
      JSON.stringify(statement).includes('"glue:'),
    );

    // Assess
    expect(glueStatements).toEqual([
      {
        Action: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
        Effect: 'Allow',
        Resource: [
          glueArn('catalog'),
          glueArn('database/streamfold_dev'),
          glueArn(`table/streamfold_dev/${ANALYTICS_DEFAULTS.tableName}`),
        ],
      },
    ]);
  });

  it('describes Parquet in the Glue table, with the same columns and partitions', () => {
    // Act
    const table = template.toJSON().Resources[logicalIdOf(stack, stack.archiveAnalytics.table)] as {
      Properties: { TableInput: Record<string, unknown> & { StorageDescriptor: unknown } };
    };
    const input = table.Properties.TableInput;

    // Assess
    expect(input.Description).toBe(
      'Raw events as archived by Firehose (Parquet, converted from JSON by Firehose), partitioned by arrival hour',
    );
    expect(input.Parameters).toEqual(
      expect.objectContaining({ EXTERNAL: 'TRUE', classification: 'parquet' }),
    );
    expect(input.Parameters).not.toHaveProperty('compressionType');
    expect(input.StorageDescriptor).toEqual(
      expect.objectContaining({
        InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
        OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
        Compressed: false,
        SerdeInfo: {
          SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
          Parameters: { 'serialization.format': '1' },
        },
      }),
    );
    expect(input.PartitionKeys).toEqual([
      { Name: 'year', Type: 'int' },
      { Name: 'month', Type: 'int' },
      { Name: 'day', Type: 'int' },
      { Name: 'hour', Type: 'int' },
    ]);
  });

  it('alarms on the first record Firehose could not convert, and charts them', () => {
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'streamfold-dev-archive-format-conversion-failures',
      Namespace: 'AWS/Firehose',
      MetricName: 'FailedConversion.Records',
      Dimensions: [{ Name: 'DeliveryStreamName', Value: Match.anyValue() }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(JSON.stringify(template.toJSON())).toContain('FailedConversion.Records');
  });

  it('keeps the direct-PUT stream gzip NDJSON', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'DirectPut',
      ExtendedS3DestinationConfiguration: Match.objectLike({
        CompressionFormat: 'GZIP',
        DataFormatConversionConfiguration: Match.absent(),
      }),
    });
  });

  it('reports no unacknowledged cdk-nag finding', () => {
    // Act
    const report = JSON.parse(
      readFileSync(join(synthesized.assembly.directory, 'validation-report.json'), 'utf8'),
    ) as { pluginReports: { pluginName: string; conclusion: string; violations: unknown[] }[] };
    const nag = report.pluginReports.find((plugin) => plugin.pluginName === 'AwsSolutions');

    // Assess
    expect(nag?.violations ?? []).toEqual([]);
    expect(nag?.conclusion ?? 'success').toBe('success');
  });
});

describe('StreamfoldStack with archive.format "json" (the default)', () => {
  let synthesized: SynthesizedApp;
  let template: Template;
  let stack: StreamfoldStack;

  beforeAll(() => {
    synthesized = synthWithFormat('json');
    template = synthesized.template;
    stack = synthesized.stack;
  });

  afterAll(() => synthesized.cleanUp());

  it('archives gzip NDJSON with a delimiter after every record and no conversion', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamName: 'streamfold-archive-dev',
      ExtendedS3DestinationConfiguration: Match.objectLike({
        CompressionFormat: 'GZIP',
        DataFormatConversionConfiguration: Match.absent(),
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [{ Type: 'AppendDelimiterToRecord', Parameters: [] }],
        },
      }),
    });
  });

  it('describes gzip JSON in the Glue table and grants no Glue action to Firehose', () => {
    const table = template.toJSON().Resources[logicalIdOf(stack, stack.archiveAnalytics.table)] as {
      Properties: { TableInput: { Parameters: unknown; StorageDescriptor: unknown } };
    };
    expect(table.Properties.TableInput.Parameters).toEqual(
      expect.objectContaining({ classification: 'json', compressionType: 'gzip' }),
    );
    expect(table.Properties.TableInput.StorageDescriptor).toEqual(
      expect.objectContaining({
        InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
        Compressed: true,
        SerdeInfo: {
          SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
          Parameters: { 'ignore.malformed.json': 'TRUE', 'case.insensitive': 'TRUE' },
        },
      }),
    );
    const policy =
      template.toJSON().Resources[
        logicalIdOf(stack, stack.rawArchive.role.node.findChild('DefaultPolicy'))
      ];
    expect(JSON.stringify(policy)).not.toContain('glue:');
  });

  it('has no format conversion alarm', () => {
    expect(JSON.stringify(template.toJSON())).not.toContain('FailedConversion.Records');
  });
});
