import type { CfnElement } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AGGREGATE_FUNCTION_ENV,
  aggregateFunctionEnvironment,
} from '../../core/config/aggregateFunctionEnvironment.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import { parseDuration } from '../../core/duration.js';
import { AGGREGATE_ATTRIBUTES } from '../../functions/aggregate/DynamoAggregateStore.js';
import { type SynthesizedApp, synthStreamfoldApp } from './synthStreamfoldApp.js';

/** The one configuration: every expected value below is read from it. */
const config = loadConfig();

function seconds(duration: string): number {
  return (parseDuration(duration) ?? Number.NaN) / 1_000;
}

/** The properties of the only resource of `type` (fails when there is not exactly one). */
function onlyResourceProperties(template: Template, type: string, props: object = {}) {
  const found = Object.values(template.findResources(type, props));
  expect(found).toHaveLength(1);
  return (found[0] as { Properties: Record<string, unknown> }).Properties;
}

describe('synthesized template against loadConfig()', () => {
  let synthesized: SynthesizedApp;
  let template: Template;

  /** The aggregate function's properties (the stack has other functions in dev). */
  const aggregateFunction = () => {
    const { stack } = synthesized;
    const id = stack.resolve(
      (stack.aggregateFunction.handler.node.defaultChild as CfnElement).logicalId,
    ) as string;
    return (template.toJSON().Resources[id] as { Properties: Record<string, unknown> }).Properties;
  };

  beforeAll(() => {
    // Prepare
    synthesized = synthStreamfoldApp({ context: { stage: 'dev' } });
    template = synthesized.template;
  });

  afterAll(() => synthesized.cleanUp());

  describe('event source mapping', () => {
    it('takes every setting from config.aggregation', () => {
      // Act
      const mapping = onlyResourceProperties(template, 'AWS::Lambda::EventSourceMapping');

      // Assess
      expect(mapping).toMatchObject({
        BatchSize: config.aggregation.batchSize,
        MaximumBatchingWindowInSeconds: seconds(config.aggregation.maxBatchingWindow),
        BisectBatchOnFunctionError: config.aggregation.bisectBatchOnError,
        MaximumRetryAttempts: config.aggregation.maxRetryAttempts,
        MaximumRecordAgeInSeconds: seconds(config.aggregation.maxRecordAge),
        ParallelizationFactor: config.aggregation.parallelizationFactor,
        StartingPosition: config.aggregation.startingPosition,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });
  });

  describe('aggregate function', () => {
    it('takes timeout and memory from config.aggregation', () => {
      const fn = aggregateFunction();

      expect(fn.Timeout).toBe(seconds(config.aggregation.timeout));
      expect(fn.MemorySize).toBe(config.aggregation.memorySize);
    });

    it('gets exactly the environment aggregateFunctionEnvironment() builds', () => {
      // Prepare: the deployed names are CloudFormation references
      const { stack } = synthesized;
      const ref = (id: string) => ({
        Ref: stack.resolve((stack.node.findChild(id).node.defaultChild as CfnElement).logicalId),
      });
      const expected: Record<string, unknown> = aggregateFunctionEnvironment(config, {
        tableName: 'placeholder',
        rejectsBucketName: 'placeholder',
      });
      expected[AGGREGATE_FUNCTION_ENV.tableName] = {
        Ref: stack.resolve((stack.aggregatesTable.table.node.defaultChild as CfnElement).logicalId),
      };
      expected[AGGREGATE_FUNCTION_ENV.rejectsBucketName] = ref('RejectsBucket');

      // Act
      const fn = aggregateFunction();

      // Assess
      expect(fn.Environment).toEqual({ Variables: expected });
    });

    it('carries no metric definitions in its environment: they are bundled with the function', () => {
      const fn = aggregateFunction();
      const variables = (fn.Environment as { Variables: Record<string, string> }).Variables;

      const text = JSON.stringify(variables);

      for (const metric of config.metrics) expect(text).not.toContain(`"${metric.name}"`);
      expect(variables[AGGREGATE_FUNCTION_ENV.rejectsPrefix]).toBe(config.rejects.rejectsPrefix);
    });
  });

  describe('stream', () => {
    it('takes name, shard count and retention from config.stream', () => {
      const stream = onlyResourceProperties(template, 'AWS::Kinesis::Stream');

      expect(stream.Name).toBe(`${config.stream.name}-dev`);
      expect(stream.ShardCount).toBe(config.stream.shardCount);
      expect(stream.RetentionPeriodHours).toBe(seconds(config.stream.retention) / 3_600);
    });
  });

  describe('aggregates table', () => {
    it('keys and expires items by the attributes DynamoAggregateStore writes', () => {
      const table = onlyResourceProperties(template, 'AWS::DynamoDB::Table');

      expect(table.TableName).toBe(`${config.table.name}-dev`);
      expect(table.KeySchema).toEqual([
        { AttributeName: AGGREGATE_ATTRIBUTES.partitionKey, KeyType: 'HASH' },
        { AttributeName: AGGREGATE_ATTRIBUTES.sortKey, KeyType: 'RANGE' },
      ]);
      expect(table.TimeToLiveSpecification).toEqual({
        AttributeName: AGGREGATE_ATTRIBUTES.expiresAt,
        Enabled: true,
      });
    });
  });

  describe('archive', () => {
    it('takes prefixes, buffering and compression from config.archive', () => {
      const deliveryStream = onlyResourceProperties(
        template,
        'AWS::KinesisFirehose::DeliveryStream',
        {
          Properties: { DeliveryStreamType: 'KinesisStreamAsSource' },
        },
      );

      expect(deliveryStream.ExtendedS3DestinationConfiguration).toMatchObject({
        Prefix: config.archive.prefix,
        ErrorOutputPrefix: config.archive.errorOutputPrefix,
        CompressionFormat: config.archive.compression,
        BufferingHints: {
          SizeInMBs: config.archive.bufferingSizeMiB,
          IntervalInSeconds: seconds(config.archive.bufferingInterval),
        },
      });
    });

    it('takes the direct-PUT stream from config.directPut and the buffering from config.archive', () => {
      const deliveryStream = onlyResourceProperties(
        template,
        'AWS::KinesisFirehose::DeliveryStream',
        {
          Properties: { DeliveryStreamType: 'DirectPut' },
        },
      );

      expect(deliveryStream.DeliveryStreamName).toBe(`${config.directPut.deliveryStreamName}-dev`);
      expect(deliveryStream.ExtendedS3DestinationConfiguration).toMatchObject({
        Prefix: config.directPut.prefix,
        ErrorOutputPrefix: config.directPut.errorOutputPrefix,
        CompressionFormat: config.archive.compression,
        BufferingHints: {
          SizeInMBs: config.archive.bufferingSizeMiB,
          IntervalInSeconds: seconds(config.archive.bufferingInterval),
        },
      });
    });

    it('locates the Glue table partitions where Firehose writes them', () => {
      // Prepare: name=!{timestamp:...} segments become name=${name}
      const expectedTemplate = config.archive.prefix.replace(
        /([a-z_]+)=!\{timestamp:[^}]+\}/g,
        (_whole, name: string) => `${name}=\${${name}}`,
      );
      const expectedKeys = [...config.archive.prefix.matchAll(/([a-z_]+)=!\{timestamp:/g)].map(
        (match) => match[1],
      );

      // Act
      const table = onlyResourceProperties(template, 'AWS::Glue::Table');
      const input = table.TableInput as {
        Parameters: Record<string, unknown>;
        PartitionKeys: { Name: string }[];
      };
      const location = input.Parameters['storage.location.template'] as {
        'Fn::Join': [string, unknown[]];
      };

      // Assess
      expect(location['Fn::Join'][1].at(-1)).toBe(`/${expectedTemplate}`);
      expect(input.PartitionKeys.map((key) => key.Name)).toEqual(expectedKeys);
    });
  });
});
