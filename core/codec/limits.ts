/**
 * Kinesis Data Streams API limits and billing units, in bytes and counts.
 * Source: the Kinesis Data Streams quotas page and pricing page.
 */
export const KINESIS_LIMITS = {
  /** Records per PutRecords call. */
  maxRecordsPerPutRecords: 500,
  /** Payload (data + partition keys) per PutRecords call: 5 MiB. */
  maxBytesPerPutRecords: 5 * 1024 * 1024,
  /** Data blob plus partition key of one record: 1 MiB. */
  maxRecordBytes: 1024 * 1024,
  /** Longest partition key, in Unicode characters. */
  maxPartitionKeyLength: 256,
  /** One PUT payload unit is 25 KB; a record is billed in whole units. */
  putPayloadUnitBytes: 25 * 1024,
} as const;

/**
 * Target size of a packed record: one PUT payload unit, so a full record costs
 * exactly one unit and no unit is billed half-empty.
 */
export const PACKED_RECORD_TARGET_BYTES = KINESIS_LIMITS.putPayloadUnitBytes;

/**
 * Amazon Data Firehose direct-PUT limits and billing unit, in bytes and counts.
 * Source: the PutRecordBatch API reference ("up to 500 records ... as large as
 * 1,000 KB (before base64 encoding), up to a limit of 4 MB for the entire
 * request. These limits cannot be changed."), the Firehose quotas page, and the
 * pricing FAQ (ingestion is metered per record in 5 KB increments). The byte
 * values are the ones AWS enforces: a record's data may be at most 1,024,000
 * bytes (the constraint in its validation error), a call 4 MiB of record data.
 */
export const FIREHOSE_LIMITS = {
  /** Records per PutRecordBatch call. */
  maxRecordsPerPutRecordBatch: 500,
  /** Record data (before base64 encoding) per PutRecordBatch call: 4 MiB. */
  maxBytesPerPutRecordBatch: 4 * 1024 * 1024,
  /** Data of one record before base64 encoding: 1,000 KiB. */
  maxRecordBytes: 1_000 * 1024,
  /**
   * Ingestion is metered per record, rounded up to the next 5 KB. Counted as
   * 5,000 bytes: a size that is a whole number of these is never rounded up,
   * whether AWS means 5,000 or 5,120 bytes.
   */
  billingIncrementBytes: 5_000,
} as const;

/**
 * Target size of a packed Firehose record: five billing increments (25,000
 * bytes). A record packed up to a whole number of increments is billed for
 * exactly that many, so the only waste is the room the next event did not fit
 * in, about half an event per record: under 1% for events of a few hundred
 * bytes, five times less than at one increment. Larger targets save little
 * more, while a refused record is re-sent whole (here at most 25 KB) and a
 * PutRecordBatch call still fills its 4 MiB with about 167 records.
 */
export const FIREHOSE_RECORD_TARGET_BYTES = 5 * FIREHOSE_LIMITS.billingIncrementBytes;
