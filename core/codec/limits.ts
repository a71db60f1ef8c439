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
