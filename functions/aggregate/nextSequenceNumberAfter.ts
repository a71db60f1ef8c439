import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';

/** GetRecords calls made before concluding the shard holds nothing after the position. */
const MAX_READS = 3;

/**
 * The sequence number of the first record of `shardId` after
 * `sequenceNumber`, or `undefined` when none was found in a few reads. One
 * GetShardIterator (`AFTER_SEQUENCE_NUMBER`) and up to three GetRecords of
 * one record each: the handler calls this only when records may have expired
 * unseen, so it does not eat into the shard's five reads a second.
 */
export async function nextSequenceNumberAfter(
  kinesis: KinesisClient,
  streamName: string,
  shardId: string,
  sequenceNumber: string,
): Promise<string | undefined> {
  const { ShardIterator } = await kinesis.send(
    new GetShardIteratorCommand({
      StreamName: streamName,
      ShardId: shardId,
      ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
      StartingSequenceNumber: sequenceNumber,
    }),
  );
  let iterator = ShardIterator;
  for (let read = 0; read < MAX_READS && iterator; read++) {
    const answer = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1 }));
    const first = answer.Records?.[0]?.SequenceNumber;
    if (first !== undefined) return first;
    iterator = answer.NextShardIterator;
  }
  return undefined;
}
