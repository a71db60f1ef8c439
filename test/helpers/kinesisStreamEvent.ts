import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { StreamfoldEvent } from '../../core/events/envelope.js';

export const TEST_SHARD_ID = 'shardId-000000000000';

/**
 * One record's content: events (encoded as NDJSON lines) or raw line text, in
 * order; or its data as given, for example a KPL aggregated record.
 */
export type RecordSpec = {
  sequenceNumber: string;
  /** When the record reached the stream, ms since the epoch. @default now */
  arrivalMs?: number;
} & ({ lines: readonly (StreamfoldEvent | string)[] } | { data: Uint8Array });

/** A Kinesis record whose data is the given data, or the given lines each ending with `\n`, in base64. */
export function kinesisRecord(spec: RecordSpec, shardId = TEST_SHARD_ID): KinesisStreamRecord {
  const data =
    'data' in spec
      ? Buffer.from(spec.data)
      : Buffer.from(
          spec.lines
            .map((line) => `${typeof line === 'string' ? line : JSON.stringify(line)}\n`)
            .join(''),
          'utf8',
        );
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: 'test-key',
      sequenceNumber: spec.sequenceNumber,
      data: data.toString('base64'),
      // Kinesis reports arrival in seconds with a fraction.
      approximateArrivalTimestamp: (spec.arrivalMs ?? Date.now()) / 1_000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${spec.sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/test',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/test',
  };
}

/** A Lambda event from Kinesis holding the given records of one shard. */
export function kinesisStreamEvent(
  specs: readonly RecordSpec[],
  shardId = TEST_SHARD_ID,
): KinesisStreamEvent {
  return { Records: specs.map((spec) => kinesisRecord(spec, shardId)) };
}
