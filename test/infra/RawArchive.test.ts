import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { RawArchive } from '../../infra/constructs/RawArchive.js';

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

function fixture() {
  const stack = new Stack(new App(), 'Test');
  new RawArchive(stack, 'Archive', {
    stream: new kinesis.Stream(stack, 'Stream'),
    dataOutputPrefix: 'events/year=!{timestamp:yyyy}/',
    errorOutputPrefix: 'errors/!{firehose:error-output-type}/',
    serverAccessLogsBucket: new s3.Bucket(stack, 'AccessLogs'),
  });
  return { template: Template.fromStack(stack) };
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
});
