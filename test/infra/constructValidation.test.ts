import { App, Duration, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_FILE } from '../../core/config/loadConfig.js';
import { cdkDuration } from '../../infra/cdkDuration.js';
import { AggregateFunction } from '../../infra/constructs/AggregateFunction.js';
import { ArchiveAnalytics } from '../../infra/constructs/ArchiveAnalytics.js';
import { EventStream } from '../../infra/constructs/EventStream.js';
import { RawArchive } from '../../infra/constructs/RawArchive.js';
import { ScopedS3OnFailureDestination } from '../../infra/ScopedS3OnFailureDestination.js';

/** A stack with the resources the constructs take, nothing synthesized. */
function fixture() {
  const stack = new Stack(new App(), 'Test');
  return {
    stack,
    stream: new kinesis.Stream(stack, 'Stream'),
    table: new dynamodb.Table(stack, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    }),
    bucket: new s3.Bucket(stack, 'Bucket'),
  };
}

describe('EventStream', () => {
  it('throws when given a shard count for an on-demand stream', () => {
    const { stack } = fixture();

    expect(
      () =>
        new EventStream(stack, 'Events', {
          streamMode: kinesis.StreamMode.ON_DEMAND,
          shardCount: 2,
        }),
    ).toThrow('shardCount only applies to provisioned streams (given 2 with on-demand)');
  });

  it.each([Duration.hours(23), Duration.days(366)])(
    'throws naming the retention when given %s',
    (retentionPeriod) => {
      const { stack } = fixture();

      expect(() => new EventStream(stack, 'Events', { retentionPeriod })).toThrow(
        `retentionPeriod must be between 24 hours and 8760 hours (given ${retentionPeriod.toHumanString()})`,
      );
    },
  );
});

describe('AggregateFunction', () => {
  it.each([
    [{ batchSize: 0 }, 'batchSize must be an integer between 1 and 10000 (given 0)'],
    [{ retryAttempts: -1 }, 'retryAttempts must be an integer between 0 and 10000 (given -1)'],
    [
      { parallelizationFactor: 11 },
      'parallelizationFactor must be an integer between 1 and 10 (given 11)',
    ],
    [
      { maxRecordAge: Duration.seconds(30) },
      'maxRecordAge (s) must be an integer between 60 and 604800 (given 30)',
    ],
    [
      { maxBatchingWindow: Duration.millis(1_500) },
      'maxBatchingWindow (s) must be an integer between 0 and 300 (given 1.5)',
    ],
    [{ rejectsPrefix: 'rejects' }, 'rejectsPrefix must end with "/" (given "rejects")'],
  ])('throws naming the setting when given %o', (override, message) => {
    const { stack, stream, table, bucket } = fixture();

    expect(
      () =>
        new AggregateFunction(stack, 'Aggregate', {
          stream,
          table,
          rejectsBucket: bucket,
          rejectsPrefix: 'rejects/',
          environment: {},
          configFile: DEFAULT_CONFIG_FILE,
          ...override,
        }),
    ).toThrow(message);
  });
});

describe('RawArchive', () => {
  it('throws when the error output prefix lies inside the data prefix', () => {
    const { stack, stream, bucket } = fixture();

    expect(
      () =>
        new RawArchive(stack, 'Archive', {
          stream,
          serverAccessLogsBucket: bucket,
          dataOutputPrefix: 'events/year=!{timestamp:yyyy}/',
          errorOutputPrefix: 'events/errors/!{firehose:error-output-type}/',
        }),
    ).toThrow('(given "events/errors/!{firehose:error-output-type}/")');
  });
});

describe('ArchiveAnalytics', () => {
  it('throws naming the pattern when a partition cannot be projected', () => {
    const { stack, bucket } = fixture();

    expect(
      () =>
        new ArchiveAnalytics(stack, 'Analytics', {
          archiveBucket: bucket,
          dataOutputPrefix: 'events/week=!{timestamp:ww}/',
          catalog: {},
          metrics: [],
          databaseName: 'db',
          workGroupName: 'wg',
          serverAccessLogsBucket: bucket,
        }),
    ).toThrow('archive.prefix partition "week" uses !{timestamp:ww}');
  });

  it('throws when the database name is not a Glue name', () => {
    const { stack, bucket } = fixture();

    expect(
      () =>
        new ArchiveAnalytics(stack, 'Analytics', {
          archiveBucket: bucket,
          dataOutputPrefix: 'events/',
          catalog: {},
          metrics: [],
          databaseName: 'streamfold-dev',
          workGroupName: 'wg',
          serverAccessLogsBucket: bucket,
        }),
    ).toThrow('databaseName must be lower case letters, digits and _ (given "streamfold-dev")');
  });
});

describe('ScopedS3OnFailureDestination', () => {
  it('throws when the key prefix is not a folder', () => {
    const { bucket } = fixture();

    expect(() => new ScopedS3OnFailureDestination(bucket, 'aws/lambda')).toThrow(
      'on-failure keyPrefix must end with "/" (given "aws/lambda")',
    );
  });
});

describe('cdkDuration', () => {
  it('converts a configuration duration when given one', () => {
    expect(cdkDuration('stream.retention', '24h').toHours()).toBe(24);
  });

  it('throws naming the setting when given text that is not a duration', () => {
    expect(() => cdkDuration('stream.retention', 'a day')).toThrow(
      'stream.retention must be a duration such as 5s, 1m or 24h (given "a day")',
    );
  });
});
