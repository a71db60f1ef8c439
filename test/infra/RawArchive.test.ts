import { App, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { RawArchive, type RawArchiveProps } from '../../infra/constructs/RawArchive.js';
import { firehoseTrustStatement } from './firehoseTrustStatement.js';

/**
 * What Firehose documents about record delimiters, quoted from the AWS docs:
 *
 * "Understand data delivery in Amazon Data Firehose"
 * (https://docs.aws.amazon.com/firehose/latest/dev/basic-deliver.html): "For
 * data delivery to Amazon S3, Firehose concatenates multiple incoming records
 * based on the buffering configuration of your Firehose stream. [...] By
 * default, Firehose concatenates data without any delimiters. If you want to
 * have new line delimiters between records, you can add new line delimiters by
 * enabling the feature in the Firehose console configuration or API parameter."
 *
 * "Processor" (https://docs.aws.amazon.com/firehose/latest/APIReference/API_Processor.html):
 * "If you want to add a new line delimiter between records in objects that are
 * delivered to Amazon S3, choose `AppendDelimiterToRecord` as a processor type.
 * You don't have to put a processor parameter when you select
 * `AppendDelimiterToRecord`."
 */
const APPEND_NEWLINE_TO_EVERY_RECORD = {
  Enabled: true,
  Processors: [{ Type: 'AppendDelimiterToRecord', Parameters: [] }],
};

function fixture(deliveryStreamName?: string, more: Partial<RawArchiveProps> = {}) {
  const stack = new Stack(new App(), 'Test');
  const archive = new RawArchive(stack, 'Archive', {
    ...more,
    stream: new kinesis.Stream(stack, 'Stream'),
    deliveryStreamName,
    dataOutputPrefix: 'events/year=!{timestamp:yyyy}/',
    errorOutputPrefix: 'errors/!{firehose:error-output-type}/',
    serverAccessLogsBucket: new s3.Bucket(stack, 'AccessLogs'),
  });
  const id = (construct: { node: { defaultChild?: unknown } }) =>
    stack.resolve((construct.node.defaultChild as { logicalId: string }).logicalId) as string;
  return { template: Template.fromStack(stack), archive, id };
}

describe('RawArchive', () => {
  it('appends a newline to every record, so a record without one is archived as a line of its own', () => {
    // Act
    const { template } = fixture();

    // Assess: exactly one processor, the documented one, without parameters.
    const streams = template.findResources('AWS::KinesisFirehose::DeliveryStream');
    expect(Object.keys(streams)).toHaveLength(1);
    const [stream] = Object.values(streams) as {
      Properties: { ExtendedS3DestinationConfiguration: Record<string, unknown> };
    }[];
    expect(stream?.Properties.ExtendedS3DestinationConfiguration.ProcessingConfiguration).toEqual(
      APPEND_NEWLINE_TO_EVERY_RECORD,
    );
  });

  it('lets only Firehose acting for this account and this delivery stream assume its role', () => {
    // Act
    const { template, archive, id } = fixture('streamfold-archive-test');

    // Assess
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamName: 'streamfold-archive-test',
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [firehoseTrustStatement('streamfold-archive-test')],
        Version: '2012-10-17',
      },
    });
    expect(
      template.findResources('AWS::IAM::Role', {
        Properties: {
          AssumeRolePolicyDocument: {
            Statement: [firehoseTrustStatement('streamfold-archive-test')],
          },
        },
      }),
    ).toHaveProperty(id(archive.role));
  });

  it('names the delivery stream after its path when no name is given, so the trust policy can name it', () => {
    // Act
    const { template } = fixture();

    // Assess
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamName: 'Test-Archive-A0735EB8',
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [firehoseTrustStatement('Test-Archive-A0735EB8')] },
    });
  });

  it('lets Firehose write only under the data and error folders, never the rest of the bucket', () => {
    // Act
    const { template, archive, id } = fixture();

    // Assess: the documented S3 actions; objects only under events/ and errors/
    const bucketArn = { 'Fn::GetAtt': [id(archive.bucket), 'Arn'] };
    const objects = (folder: string) => ({ 'Fn::Join': ['', [bucketArn, `/${folder}*`]] });
    const [policy] = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: id(archive.role) }] },
      }),
    ) as { Properties: { PolicyDocument: { Statement: unknown[] } } }[];
    const s3Statements = policy?.Properties.PolicyDocument.Statement.filter((statement) =>
      JSON.stringify(statement).includes('"s3:'),
    );
    expect(s3Statements).toEqual([
      {
        Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        Effect: 'Allow',
        Resource: bucketArn,
      },
      {
        Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        Effect: 'Allow',
        Resource: [objects('events/'), objects('errors/')],
      },
    ]);
  });
});

describe('RawArchive with parquetConversion', () => {
  const parquetConversion = { databaseName: 'analytics', tableName: 'events' };

  it('converts JSON records to Snappy Parquet against the table, with a 128 MiB buffer and no S3 compression by default', () => {
    // Act
    const { template } = fixture('archive', { parquetConversion });

    // Assess
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: {
        BufferingHints: { IntervalInSeconds: 300, SizeInMBs: 128 },
        CompressionFormat: Match.absent(),
        ProcessingConfiguration: Match.absent(),
        FileExtension: '.parquet',
        DataFormatConversionConfiguration: {
          Enabled: true,
          InputFormatConfiguration: {
            Deserializer: { OpenXJsonSerDe: { CaseInsensitive: true } },
          },
          OutputFormatConfiguration: {
            Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } },
          },
          SchemaConfiguration: Match.objectLike({
            DatabaseName: 'analytics',
            TableName: 'events',
            VersionId: 'LATEST',
          }),
        },
      },
    });
  });

  it('refuses a buffer under 64 MiB, naming the setting and the value', () => {
    expect(() =>
      fixture('archive', { parquetConversion, bufferingSize: Size.mebibytes(5) }),
    ).toThrow('bufferingSize must be at least 64 MiB with parquetConversion (given 5 MiB)');
  });

  /**
   * "Enable record format conversion"
   * (https://docs.aws.amazon.com/firehose/latest/dev/enable-record-format-conversion.html):
   * "Also, Amazon S3 compression gets disabled when you enable format conversion."
   */
  it('refuses an S3 compression, naming the setting and the value', () => {
    expect(() =>
      fixture('archive', { parquetConversion, compression: firehose.Compression.GZIP }),
    ).toThrow(
      'compression must not be set with parquetConversion: Firehose refuses S3 compression when it converts records (given GZIP)',
    );
  });
});
