/** The shard and sequence-number range of a discarded batch, as Lambda writes it. */
export interface KinesisBatchInfo {
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  batchSize: number;
  /** ARN of the stream the batch was read from. */
  streamArn: string;
  approximateArrivalOfFirstRecord?: string;
  approximateArrivalOfLastRecord?: string;
}

/** One discarded record: the bytes and partition key it was put with. */
export interface FailedRecord {
  partitionKey: string;
  /** The record's data exactly as the producer put it (NDJSON or a KPL aggregate). */
  data: Buffer;
  /** Where it sat in the source shard. */
  sequenceNumber: string;
  /** When it reached the stream, ms since the epoch, where the object or the stream says. */
  arrivalMs?: number;
}

/** An on-failure invocation record read from S3. */
export interface OnFailureRecord {
  /** `RetryAttemptsExhausted` or `RecordAgeExceeded`. */
  condition: string | undefined;
  /** When Lambda wrote it. */
  timestamp: string | undefined;
  batchInfo: KinesisBatchInfo;
  /**
   * The records from the object's `payload` (S3 destinations carry the whole
   * invocation); `undefined` when the object holds only `KinesisBatchInfo`, as
   * SQS/SNS destinations and older S3 objects do, and the records must be read
   * back from the stream.
   */
  records: FailedRecord[] | undefined;
}
