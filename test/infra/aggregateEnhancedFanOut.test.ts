import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_FILE } from '../../core/config/loadConfig.js';
import { AggregateFunction } from '../../infra/constructs/AggregateFunction.js';
import { EVENT_SOURCE_MAPPING_DEFAULTS } from '../../infra/defaults.js';
import { REPO_ROOT } from './synthStreamfoldApp.js';

/**
 * What the AWS documentation says about reading a stream with and without enhanced fan-out:
 *
 * "Using Lambda to process records from Amazon Kinesis Data Streams"
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html): "You can map a Lambda
 * Event Function to a Kinesis Data Streams shared-throughput consumer (standard iterator), or
 * to a dedicated-throughput consumer with enhanced fan-out. For standard iterators, Lambda
 * polls each shard in your Kinesis stream for records using HTTP protocol. The event source
 * mapping shares read throughput with other consumers of the shard."
 *
 * CreateEventSourceMapping, `EventSourceArn`: "Amazon Kinesis – The ARN of the data stream or
 * a stream consumer."
 *
 * "Process Amazon Kinesis Data Streams records with Lambda"
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-create.html): "Lambda needs
 * the following permissions to manage resources related to your Kinesis data stream:
 * kinesis:DescribeStream, kinesis:DescribeStreamSummary, kinesis:GetRecords,
 * kinesis:GetShardIterator, kinesis:ListShards, kinesis:SubscribeToShard".
 *
 * SubscribeToShard (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_SubscribeToShard.html):
 * "This operation establishes an HTTP/2 connection between the consumer you specify in the
 * ConsumerARN parameter and the shard you specify in the ShardId parameter." The consumer's
 * ARN is the resource of that call, so it gets SubscribeToShard and DescribeStreamConsumer
 * (Lambda checks the consumer is ACTIVE) besides the stream's read actions.
 */
const STREAM_READ_ACTIONS = [
  'kinesis:DescribeStream',
  'kinesis:DescribeStreamConsumer',
  'kinesis:DescribeStreamSummary',
  'kinesis:GetRecords',
  'kinesis:GetShardIterator',
  'kinesis:ListShards',
  'kinesis:ListStreams',
  'kinesis:SubscribeToShard',
];

function fixture(enhancedFanOut: boolean | undefined) {
  // cdk.json's feature flags (as the app runs), and an empty bundling-stacks list to skip
  // esbuild: the template does not depend on the bundle.
  const { context } = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const app = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test');
  const key = new kms.Key(stack, 'Key');
  const stream = new kinesis.Stream(stack, 'Stream', {
    encryption: kinesis.StreamEncryption.KMS,
    encryptionKey: key,
  });
  const table = new dynamodb.TableV2(stack, 'Table', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
  });
  const rejects = new s3.Bucket(stack, 'Rejects');
  const aggregate = new AggregateFunction(stack, 'Aggregate', {
    stream,
    table,
    rejectsBucket: rejects,
    rejectsPrefix: 'rejects/',
    environment: {},
    configFile: DEFAULT_CONFIG_FILE,
    enhancedFanOut,
  });
  const logicalId = (construct: IConstruct) =>
    stack.resolve(((construct.node.defaultChild ?? construct) as CfnElement).logicalId) as string;
  const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });
  return { template: Template.fromStack(stack), aggregate, stream, key, rejects, logicalId, arnOf };
}

describe('AggregateFunction event source', () => {
  it.each([[false], [undefined]])(
    'maps the stream itself, shared throughput, when enhancedFanOut is %s',
    (enhancedFanOut) => {
      // Act
      const { template, aggregate, stream, key, arnOf, logicalId } = fixture(enhancedFanOut);

      // Assess
      expect(aggregate.consumer).toBeUndefined();
      template.resourceCountIs('AWS::Kinesis::StreamConsumer', 0);
      template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: arnOf(stream),
        FunctionName: { Ref: logicalId(aggregate.handler) },
      });
      const [policy] = Object.values(
        template.findResources('AWS::IAM::Policy', {
          Properties: { Roles: [{ Ref: logicalId(aggregate.role) }] },
        }),
      ) as { Properties: { PolicyDocument: { Statement: { Resource: unknown }[] } } }[];
      const kinesisStatements = policy?.Properties.PolicyDocument.Statement.filter((statement) =>
        JSON.stringify(statement).includes('kinesis:'),
      );
      expect(kinesisStatements).toEqual([
        { Action: STREAM_READ_ACTIONS, Effect: 'Allow', Resource: arnOf(stream) },
      ]);
      expect(policy?.Properties.PolicyDocument.Statement).toContainEqual({
        Action: 'kms:Decrypt',
        Effect: 'Allow',
        Resource: arnOf(key),
      });
    },
  );

  it('maps a dedicated enhanced fan-out consumer of the stream when enhancedFanOut is true', () => {
    // Act
    const { template, aggregate, stream, key, rejects, arnOf, logicalId } = fixture(true);

    // Assess: one consumer on the stream, and the mapping reads through it
    expect(aggregate.consumer).toBeDefined();
    const consumer = aggregate.consumer as IConstruct;
    template.resourceCountIs('AWS::Kinesis::StreamConsumer', 1);
    template.hasResourceProperties('AWS::Kinesis::StreamConsumer', {
      ConsumerName: EVENT_SOURCE_MAPPING_DEFAULTS.enhancedFanOutConsumerName,
      StreamARN: arnOf(stream),
    });
    const consumerArn = { 'Fn::GetAtt': [logicalId(consumer), 'ConsumerARN'] };
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: consumerArn,
      FunctionName: { Ref: logicalId(aggregate.handler) },
      // The same mapping settings as without enhanced fan-out.
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ParallelizationFactor: 1,
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: { OnFailure: { Destination: arnOf(rejects) } },
    });

    // Assess: stream read and key decrypt as before, plus the two consumer actions on its ARN
    const [policy] = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: logicalId(aggregate.role) }] },
      }),
    ) as { Properties: { PolicyDocument: { Statement: unknown[] } } }[];
    const kinesisStatements = policy?.Properties.PolicyDocument.Statement.filter((statement) =>
      JSON.stringify(statement).includes('kinesis:'),
    );
    expect(kinesisStatements).toEqual([
      { Action: STREAM_READ_ACTIONS, Effect: 'Allow', Resource: arnOf(stream) },
      {
        Action: ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'],
        Effect: 'Allow',
        Resource: consumerArn,
      },
    ]);
    expect(policy?.Properties.PolicyDocument.Statement).toContainEqual({
      Action: 'kms:Decrypt',
      Effect: 'Allow',
      Resource: arnOf(key),
    });
  });
});
