import { describe, expect, it } from 'vitest';
import { LONGEST_STAGE_SUFFIX } from '../../../core/config/awsLimitProblems.js';
import { ConfigError } from '../../../core/config/errors.js';
import { type ConfigOverrides, loadConfig } from '../../../core/config/loadConfig.js';
import { STAGES } from '../../../infra/defaults.js';

function problemsOf(overrides: ConfigOverrides): readonly string[] {
  try {
    loadConfig(overrides);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError, but the configuration loaded');
}

/**
 * One row per rule AWS enforces on a setting: the documentation line it
 * checks, a value the rule refuses, and what the message must name.
 */
interface AwsRule {
  rule: string;
  /** The AWS documentation line the rule comes from, quoted. */
  documented: string;
  overrides: ConfigOverrides;
  /** The setting, as the message must name it. */
  setting: string;
  /** The value as the message must quote it. */
  given: string;
}

describe('configuration AWS would refuse is refused at load', () => {
  describe.each<AwsRule>([
    {
      rule: 'the batching window in whole seconds',
      documented:
        'You can configure MaximumBatchingWindowInSeconds to any value from 0 seconds to 300 seconds in increments of seconds.',
      overrides: { aggregation: { maxBatchingWindow: '1500ms' } },
      setting: 'aggregation.maxBatchingWindow',
      given: '"1500ms"',
    },
    {
      rule: 'the batching window at most 300 s',
      documented:
        'You can configure MaximumBatchingWindowInSeconds to any value from 0 seconds to 300 seconds in increments of seconds.',
      overrides: { aggregation: { maxBatchingWindow: '301s' } },
      setting: 'aggregation.maxBatchingWindow',
      given: '"301s"',
    },
    {
      rule: 'the record age in whole seconds',
      documented:
        "The minimum valid value for maximum record age is 60s. Although values less than 60 and greater than -1 fall within the parameter's absolute range, they are not allowed",
      overrides: { aggregation: { maxRecordAge: '90500ms' } },
      setting: 'aggregation.maxRecordAge',
      given: '"90500ms"',
    },
    {
      rule: 'the record age at least 60 s',
      documented: 'The minimum valid value for maximum record age is 60s.',
      overrides: { aggregation: { maxRecordAge: '59s' } },
      setting: 'aggregation.maxRecordAge',
      given: '"59s"',
    },
    {
      rule: 'the record age at most 7 days (604800 s)',
      documented: 'MaximumRecordAgeInSeconds: Minimum value of -1. Maximum value of 604800.',
      overrides: { aggregation: { maxRecordAge: '8d' } },
      setting: 'aggregation.maxRecordAge',
      given: '"8d"',
    },
    {
      rule: 'the function timeout in whole seconds',
      documented:
        'The default value for this setting is 3 seconds, but you can adjust this in increments of 1 second up to a maximum value of 900 seconds (15 minutes).',
      overrides: { aggregation: { timeout: '1500ms' } },
      setting: 'aggregation.timeout',
      given: '"1500ms"',
    },
    {
      rule: 'the function timeout at most 900 s',
      documented: 'The maximum allowed value is 900 seconds.',
      overrides: { aggregation: { timeout: '901s' } },
      setting: 'aggregation.timeout',
      given: '"901s"',
    },
    {
      rule: "the ingest function's timeout (acknowledgeTimeout + 5 s) in whole seconds",
      documented:
        'you can adjust this in increments of 1 second up to a maximum value of 900 seconds (15 minutes).',
      overrides: { ingest: { acknowledgeTimeout: '2500ms' } },
      setting: 'ingest.acknowledgeTimeout',
      given: '"2500ms"',
    },
    {
      rule: 'the Firehose buffering interval in whole seconds',
      documented:
        'IntervalInSeconds ... Type: Integer. Valid Range: Minimum value of 0. Maximum value of 900.',
      overrides: { archive: { bufferingInterval: '1500ms' } },
      setting: 'archive.bufferingInterval',
      given: '"1500ms"',
    },
    {
      rule: 'the Firehose buffering interval at most 900 s',
      documented: 'IntervalInSeconds ... Valid Range: Minimum value of 0. Maximum value of 900.',
      overrides: { archive: { bufferingInterval: '901s' } },
      setting: 'archive.bufferingInterval',
      given: '"901s"',
    },
    {
      rule: 'the Firehose buffering size at most 128 MiB',
      documented: 'SizeInMBs ... Valid Range: Minimum value of 1. Maximum value of 128.',
      overrides: { archive: { bufferingSizeMiB: 129 } },
      setting: 'archive.bufferingSizeMiB',
      given: '(given 129)',
    },
    {
      rule: 'the stream retention in whole hours',
      documented:
        'The request syntax for both operations includes the stream name and the retention period in hours.',
      overrides: { stream: { retention: '1530m' } },
      setting: 'stream.retention',
      given: '"1530m"',
    },
    {
      rule: 'the stream retention at least 24 h',
      documented:
        'You can decrease the retention period down to a minimum of 24 hours using the DecreaseStreamRetentionPeriod operation',
      overrides: { stream: { retention: '23h' } },
      setting: 'stream.retention',
      given: '"23h"',
    },
    {
      rule: 'the stream retention at most 8760 h',
      documented:
        'A Kinesis data stream stores records from 24 hours by default, up to 8760 hours (365 days).',
      overrides: { stream: { retention: '366d' } },
      setting: 'stream.retention',
      given: '"366d"',
    },
    {
      rule: 'the batch size at most 10000',
      documented: 'Amazon Kinesis – Default 100. Max 10,000.',
      overrides: { aggregation: { batchSize: 10_001 } },
      setting: 'aggregation.batchSize',
      given: '(given 10001)',
    },
    {
      rule: 'the batch size at least 1',
      documented: 'BatchSize ... Valid Range: Minimum value of 1. Maximum value of 10000.',
      overrides: { aggregation: { batchSize: 0 } },
      setting: 'aggregation.batchSize',
      given: '(given 0)',
    },
    {
      rule: 'the function memory at most 10240 MB',
      documented: 'a single function can use up to 10,240 MB of memory.',
      overrides: { aggregation: { memorySize: 10_241 } },
      setting: 'aggregation.memorySize',
      given: '(given 10241)',
    },
    {
      rule: 'the Kinesis stream name at most 128 characters with the stage suffix',
      documented: 'StreamName ... Length Constraints: Minimum length of 1. Maximum length of 128.',
      overrides: { stream: { name: 's'.repeat(124) } },
      setting: 'stream.name',
      given: `"${'s'.repeat(124)}"`,
    },
    {
      rule: 'the DynamoDB table name at most 255 characters with the stage suffix',
      documented:
        'Table names and index names must be between 3 and 255 characters long, and can contain only the following characters',
      overrides: { table: { name: 't'.repeat(251) } },
      setting: 'table.name',
      given: `"${'t'.repeat(251)}"`,
    },
    {
      rule: 'the Firehose stream name at most 64 characters with the stage suffix',
      documented:
        'deliveryStreamName ... Length Constraints: Minimum length of 1. Maximum length of 64. Pattern: [a-zA-Z0-9_.-]+',
      overrides: { directPut: { deliveryStreamName: 'd'.repeat(60) } },
      setting: 'directPut.deliveryStreamName',
      given: `"${'d'.repeat(60)}"`,
    },
    {
      rule: 'bucket names without two adjacent periods',
      documented: 'Bucket names must not contain two adjacent periods.',
      overrides: { archive: { bucketName: 'my..archive' } },
      setting: 'archive.bucketName',
      given: '"my..archive"',
    },
    {
      rule: 'bucket names not formatted as an IP address',
      documented: 'Bucket names must not be formatted as an IP address (for example, 192.168.5.4).',
      overrides: { rejects: { bucketName: '192.168.5.4' } },
      setting: 'rejects.bucketName',
      given: '"192.168.5.4"',
    },
    {
      rule: 'bucket names without a reserved prefix',
      documented: 'Bucket names must not start with the prefix xn--.',
      overrides: { archive: { bucketName: 'xn--archive' } },
      setting: 'archive.bucketName',
      given: '"xn--archive"',
    },
    {
      rule: 'bucket names without a reserved suffix',
      documented: 'Bucket names must not end with the suffix -s3alias.',
      overrides: { rejects: { bucketName: 'rejects-s3alias' } },
      setting: 'rejects.bucketName',
      given: '"rejects-s3alias"',
    },
    {
      rule: 'bucket names at most 63 characters',
      documented: 'Bucket names must be between 3 (min) and 63 (max) characters long.',
      overrides: { archive: { bucketName: 'b'.repeat(64) } },
      setting: 'archive.bucketName',
      given: `"${'b'.repeat(64)}"`,
    },
  ])('$rule', ({ overrides, setting, given }) => {
    it('refuses a value past it, naming the setting and the value', () => {
      // Act
      const problems = problemsOf(overrides);

      // Assess: one problem, about this setting, quoting the value
      const about = problems.filter((problem) => problem.includes(`${setting}:`));
      expect(about, problems.join('\n')).toHaveLength(1);
      expect(about[0]).toContain(given);
    });
  });

  it.each<[string, ConfigOverrides]>([
    [
      'whole seconds written in ms',
      { aggregation: { maxBatchingWindow: '2000ms', timeout: '90000ms' } },
    ],
    ['whole hours written in minutes (1500m = 25 h)', { stream: { retention: '1500m' } }],
    [
      'the longest names that fit with the stage suffix',
      {
        stream: { name: 's'.repeat(123) },
        table: { name: 't'.repeat(250) },
        directPut: { deliveryStreamName: 'd'.repeat(59) },
      },
    ],
    ['bucket names with single periods', { archive: { bucketName: 'my.archive.bucket' } }],
  ])('accepts %s', (_name, overrides) => {
    expect(() => loadConfig(overrides)).not.toThrow();
  });

  it('checks names against the longest stage suffix the stack appends', () => {
    // Act
    const longest = STAGES.map((stage) => `-${stage}`).sort((a, b) => b.length - a.length)[0];

    // Assess
    expect(LONGEST_STAGE_SUFFIX).toBe(longest);
  });
});
