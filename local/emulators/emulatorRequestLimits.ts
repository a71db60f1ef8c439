/** 1 MiB, bytes. */
const MiB = 1_048_576;

/**
 * Largest request body each emulator port, and the chaos proxy in front of
 * it, reads, bytes. kinesalite and dynalite keep a whole body in memory before
 * looking at it, so without a limit one client can make the emulator hold
 * hundreds of MB. Each limit is the service's own largest request with room to
 * spare, so no request the real service accepts is refused here.
 */
export const EMULATOR_MAX_REQUEST_BYTES = {
  /**
   * "up to a limit of 5 MiB for the entire request, including partition keys" (Kinesis API
   * reference, PutRecords). PutRecords carries at most 5 MiB of data and partition keys; base64 in JSON makes that
   * ~6.7 MiB, plus up to 500 records' field names and keys. 16 MiB is over twice that.
   */
  kinesis: 16 * MiB,
  /**
   * "A single call to BatchWriteItem can transmit up to 16MB of data over the network"
   * (DynamoDB API reference). BatchWriteItem, the largest request, transmits at most 16 MB; 24 MiB leaves room for
   * DynamoDB JSON's type tags and escaping, which the 16 MB may not count.
   */
  dynamodb: 24 * MiB,
} as const;

/** The emulators whose request bodies are limited. */
export type LimitedEmulator = keyof typeof EMULATOR_MAX_REQUEST_BYTES;
