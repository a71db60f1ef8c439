import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import {
  DirectPutArchive,
  type DirectPutArchiveProps,
} from '../../infra/constructs/DirectPutArchive.js';
import { firehoseTrustStatement } from './firehoseTrustStatement.js';

const PREFIXES = {
  dataOutputPrefix: 'direct/year=!{timestamp:yyyy}/',
  errorOutputPrefix: 'direct-errors/!{firehose:error-output-type}/',
};

/** A stack holding a bucket and, when `props` are given, a DirectPutArchive writing into it. */
function fixture(props: Partial<DirectPutArchiveProps> = {}) {
  const stack = new Stack(new App(), 'Test');
  const bucket = new s3.Bucket(stack, 'Bucket');
  const archive = new DirectPutArchive(stack, 'Direct', { bucket, ...PREFIXES, ...props });
  const id = (construct: { node: { defaultChild?: unknown } }) =>
    stack.resolve((construct.node.defaultChild as { logicalId: string }).logicalId) as string;
  return { stack, bucket, archive, template: Template.fromStack(stack), id };
}

describe('DirectPutArchive', () => {
  it('creates a direct-PUT delivery stream, encrypted, writing gzip into the bucket with logging', () => {
    // Act
    const { template, bucket, archive, id } = fixture({
      deliveryStreamName: 'streamfold-direct-dev',
    });

    // Assess
    template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 1);
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamName: 'streamfold-direct-dev',
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      ExtendedS3DestinationConfiguration: {
        BucketARN: { 'Fn::GetAtt': [id(bucket), 'Arn'] },
        RoleARN: { 'Fn::GetAtt': [id(archive.role), 'Arn'] },
        Prefix: PREFIXES.dataOutputPrefix,
        ErrorOutputPrefix: PREFIXES.errorOutputPrefix,
        CompressionFormat: 'GZIP',
        BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 300 },
        CloudWatchLoggingOptions: { Enabled: true, LogGroupName: { Ref: id(archive.logGroup) } },
      },
    });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
  });

  it('appends a newline to every record put, so a record without one is archived as a line of its own', () => {
    // Act
    const { template } = fixture();

    // Assess: the documented processor, as in RawArchive.test.ts (which quotes the docs).
    const [stream] = Object.values(
      template.findResources('AWS::KinesisFirehose::DeliveryStream'),
    ) as { Properties: { ExtendedS3DestinationConfiguration: Record<string, unknown> } }[];
    expect(stream?.Properties.ExtendedS3DestinationConfiguration.ProcessingConfiguration).toEqual({
      Enabled: true,
      Processors: [{ Type: 'AppendDelimiterToRecord', Parameters: [] }],
    });
  });

  it('lets Firehose write only its own two folders of the bucket, without delete', () => {
    // Act
    const { template, bucket, archive, id } = fixture();

    // Assess
    const objects = (folder: string) => ({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [id(bucket), 'Arn'] }, `/${folder}*`]],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: id(archive.role) }],
      PolicyDocument: {
        Statement: [
          {
            Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [id(bucket), 'Arn'] },
          },
          {
            Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
            Effect: 'Allow',
            Resource: [objects('direct/'), objects('direct-errors/')],
          },
          Match.objectLike({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'] }),
        ],
      },
    });
  });

  it('lets only Firehose acting for this account and this delivery stream assume its role', () => {
    // Act
    const { template, archive, id } = fixture({ deliveryStreamName: 'streamfold-direct-dev' });

    // Assess
    expect(
      template.findResources('AWS::IAM::Role', {
        Properties: {
          AssumeRolePolicyDocument: {
            Statement: [firehoseTrustStatement('streamfold-direct-dev')],
            Version: '2012-10-17',
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
      DeliveryStreamName: 'Test-Direct-4EB52397',
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [firehoseTrustStatement('Test-Direct-4EB52397')] },
    });
  });

  it.each([
    {
      props: { dataOutputPrefix: 'year=!{timestamp:yyyy}/' },
      message:
        'dataOutputPrefix must start with a static folder such as "direct/" (given "year=!{timestamp:yyyy}/")',
    },
    {
      props: { errorOutputPrefix: 'direct/errors/' },
      message:
        'errorOutputPrefix must start with a static folder apart from the data folder "direct/" (given "direct/errors/")',
    },
  ])('throws naming the prefix when given $props', ({ props, message }) => {
    // Act & Assess
    expect(() => fixture(props)).toThrow(message);
  });
});
