import {
  type KinesisClient,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
  type PutRecordsResultEntry,
} from '@aws-sdk/client-kinesis';
import { backoffDelay } from '../../producers/backoff.js';
import { isRetryableCallError } from '../../producers/retryPolicy.js';
import { PutRecordsRefusedError } from './errors.js';
import type { FailedRecord } from './OnFailureRecord.js';

/** PutRecords limits: 500 entries and 5 MiB (data plus partition keys) per call. */
const MAX_ENTRIES_PER_CALL = 500;
const MAX_BYTES_PER_CALL = 5 * 1024 * 1024;

/** How refused entries and retryable call failures are retried. */
export interface PutRetrySettings {
  /** Attempts per entry, the first included. @default 8 */
  maxAttempts?: number;
  /** Backoff ceiling of the first retry, ms. @default 100 */
  baseBackoffMs?: number;
  /** Largest backoff ceiling, ms. @default 5000 */
  maxBackoffMs?: number;
}

/** Where an entry landed. */
export interface PutPosition {
  shardId: string;
  sequenceNumber: string;
}

/**
 * Puts records on a stream as they are: the same bytes, the same partition key,
 * no validation and no packing. Calls carry at most 500 entries and 5 MiB;
 * entries a call refuses (throttling, internal errors) are re-sent alone after
 * a full-jitter backoff, so accepted entries are never sent twice. A whole call
 * that fails with a retryable error is re-sent; it may have landed, which is
 * the one way this can duplicate.
 *
 * @returns the position of every record, in input order
 * @throws {PutRecordsRefusedError} when entries are still refused after `maxAttempts`
 */
export async function putRecordsWithRetry(
  kinesis: KinesisClient,
  streamName: string,
  records: readonly FailedRecord[],
  settings: PutRetrySettings = {},
): Promise<PutPosition[]> {
  const maxAttempts = settings.maxAttempts ?? 8;
  const baseMs = settings.baseBackoffMs ?? 100;
  const maxMs = settings.maxBackoffMs ?? 5_000;
  const positions: (PutPosition | undefined)[] = new Array(records.length);
  let pending = records.map((_, index) => index);
  let lastError = '';
  for (let attempt = 1; pending.length > 0; attempt++) {
    if (attempt > maxAttempts) throw new PutRecordsRefusedError(pending.length, lastError);
    if (attempt > 1) await sleep(backoffDelay(attempt - 1, baseMs, maxMs));
    const refused: number[] = [];
    for (const call of chunk(pending, records)) {
      const entries: PutRecordsRequestEntry[] = call.map((index) => {
        const record = records[index] as FailedRecord;
        return { PartitionKey: record.partitionKey, Data: record.data };
      });
      let results: PutRecordsResultEntry[] | undefined;
      try {
        results = (
          await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: entries }))
        ).Records;
      } catch (error) {
        if (!isRetryableCallError(error)) throw error;
        lastError = (error as Error).name;
        refused.push(...call);
        continue;
      }
      call.forEach((index, i) => {
        const result = results?.[i];
        if (result?.SequenceNumber && result.ShardId && !result.ErrorCode) {
          positions[index] = { shardId: result.ShardId, sequenceNumber: result.SequenceNumber };
        } else {
          lastError = result?.ErrorCode ?? 'no result for the entry';
          refused.push(index);
        }
      });
    }
    pending = refused;
  }
  return positions as PutPosition[];
}

/** Splits the pending indexes into calls within the entry and byte limits. */
function chunk(pending: readonly number[], records: readonly FailedRecord[]): number[][] {
  const calls: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const index of pending) {
    const record = records[index] as FailedRecord;
    const size = record.data.length + Buffer.byteLength(record.partitionKey);
    if (
      current.length === MAX_ENTRIES_PER_CALL ||
      (current.length > 0 && bytes + size > MAX_BYTES_PER_CALL)
    ) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(index);
    bytes += size;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
