import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { StreamReadBackError } from './errors.js';
import type { FailedRecord, KinesisBatchInfo } from './OnFailureRecord.js';

/** GetRecords calls that return nothing before giving up on reaching the end of the batch. */
const MAX_EMPTY_READS = 20;
/** Pause between empty reads, ms (a shard allows 5 GetRecords calls a second). */
const EMPTY_READ_PAUSE_MS = 200;

/**
 * Reads a discarded batch back from its shard, for on-failure objects that hold
 * only `KinesisBatchInfo`: GetShardIterator `AT_SEQUENCE_NUMBER` the start, then
 * GetRecords up to and including the end sequence number. Works only while the
 * records are within the stream's retention period.
 *
 * @param streamName the stream the batch was read from (from `streamArn`)
 * @throws {StreamReadBackError} when the records have expired or the range cannot be completed
 */
export async function readBatchFromStream(
  kinesis: KinesisClient,
  streamName: string,
  info: KinesisBatchInfo,
): Promise<FailedRecord[]> {
  const where = `${streamName}/${info.shardId} from ${info.startSequenceNumber}`;
  let iterator: string | undefined;
  try {
    const answer = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: info.shardId,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: info.startSequenceNumber,
      }),
    );
    iterator = answer.ShardIterator;
  } catch (error) {
    throw new StreamReadBackError(
      `cannot read ${where} back (past the retention period?): ${(error as Error).message}`,
      { cause: error },
    );
  }
  const end = BigInt(info.endSequenceNumber);
  const records: FailedRecord[] = [];
  let emptyReads = 0;
  while (iterator) {
    const answer = await kinesis.send(
      new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }),
    );
    iterator = answer.NextShardIterator;
    const read = answer.Records ?? [];
    if (
      records.length === 0 &&
      read.length > 0 &&
      read[0]?.SequenceNumber !== info.startSequenceNumber
    ) {
      // AT_SEQUENCE_NUMBER of a trimmed record starts at the oldest one left.
      throw new StreamReadBackError(
        `${where}: the first record read is ${read[0]?.SequenceNumber}; the batch has expired from the stream`,
      );
    }
    for (const record of read) {
      const sequenceNumber = record.SequenceNumber as string;
      if (BigInt(sequenceNumber) > end) return records;
      records.push({
        partitionKey: record.PartitionKey as string,
        data: Buffer.from(record.Data as Uint8Array),
        sequenceNumber,
        ...(record.ApproximateArrivalTimestamp
          ? { arrivalMs: record.ApproximateArrivalTimestamp.getTime() }
          : {}),
      });
      if (sequenceNumber === info.endSequenceNumber) return records;
    }
    if (read.length === 0) {
      if (++emptyReads > MAX_EMPTY_READS) break;
      await new Promise((resolve) => setTimeout(resolve, EMPTY_READ_PAUSE_MS));
    } else {
      emptyReads = 0;
    }
  }
  throw new StreamReadBackError(
    `${where}: read ${records.length} of ${info.batchSize} records without reaching ${info.endSequenceNumber}`,
  );
}

/** The stream name in a Kinesis stream ARN (`arn:aws:kinesis:region:account:stream/NAME`). */
export function streamNameOf(streamArn: string): string {
  const name = streamArn.split(':stream/')[1];
  if (!name)
    throw new StreamReadBackError(
      `streamArn ${JSON.stringify(streamArn)} is not a Kinesis stream ARN`,
    );
  return name;
}
