import type { KinesisStreamEvent } from 'aws-lambda';
import { encodeEventLine, packLines } from '../core/codec/ndjsonCodec.js';

/** Shard id the benchmarks' batches come from. */
export const BENCH_SHARD_ID = 'shardId-000000000000';

/**
 * The Lambda event Kinesis would send for `events` packed as NDJSON into
 * records of one PUT payload unit, as `KinesisProducer` packs them. Record `k`
 * gets sequence number `(firstSequence + k) · 10^20 + 7`.
 */
export function packedKinesisBatch(
  events: readonly unknown[],
  options: { firstSequence?: number; shardId?: string; arrivalMs?: number } = {},
): KinesisStreamEvent {
  return kinesisBatchOf(packLines(events.map(encodeEventLine)), options);
}

/** The Lambda event Kinesis would send for records with the given data, one shard. */
export function kinesisBatchOf(
  records: readonly Buffer[],
  options: { firstSequence?: number; shardId?: string; arrivalMs?: number } = {},
): KinesisStreamEvent {
  const shardId = options.shardId ?? BENCH_SHARD_ID;
  const first = BigInt(options.firstSequence ?? 1);
  const arrival = (options.arrivalMs ?? Date.now()) / 1_000;
  return {
    Records: records.map((data, k) => {
      const sequenceNumber = String((first + BigInt(k)) * 10n ** 20n + 7n);
      return {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: 'bench',
          sequenceNumber,
          data: data.toString('base64'),
          approximateArrivalTimestamp: arrival,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shardId}:${sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::000000000000:role/bench',
        awsRegion: 'us-east-1',
        eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/bench',
      };
    }),
  };
}
