import { gzipSync } from 'node:zlib';
import { type _Record, type KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { FIREHOSE_LIMITS } from '../core/codec/limits.js';
import { unpackRecord } from '../core/codec/ndjsonCodec.js';
import { ShardReader } from '../local/kinesis/ShardReader.js';

/** Firehose's ingestion billing of a set of records. */
export interface FirehoseBilling {
  records: number;
  events: number;
  /** Billed KB per event with 5 KB = 5,000 bytes (every record rounded up to 5,000 bytes). */
  billedKBPerEvent: number;
  /** The same with 5 KB = 5,120 bytes; AWS's pages do not say which they mean. */
  billedKBPerEventKiB: number;
  /** Bytes of the records themselves per event. */
  dataBytesPerEvent: number;
  /** Gzip-compressed bytes per event of the NDJSON the archive would store. */
  gzipBytesPerEvent: number;
}

/**
 * What Firehose would bill for ingesting `records` (each record rounded up to
 * the next 5 KB, per the Firehose pricing page) and what their NDJSON weighs
 * gzip-compressed in the archive.
 */
export function firehoseBillingOf(records: readonly Uint8Array[]): FirehoseBilling {
  let events = 0;
  let increments = 0;
  let incrementsKiB = 0;
  let bytes = 0;
  for (const record of records) {
    events += unpackRecord(record).length;
    bytes += record.length;
    increments += Math.ceil(record.length / FIREHOSE_LIMITS.billingIncrementBytes);
    incrementsKiB += Math.ceil(record.length / 5_120);
  }
  const gzipBytes = gzipSync(Buffer.concat(records.map((r) => Buffer.from(r)))).length;
  return {
    records: records.length,
    events,
    billedKBPerEvent: (increments * 5) / events,
    billedKBPerEventKiB: (incrementsKiB * 5) / events,
    dataBytesPerEvent: bytes / events,
    gzipBytesPerEvent: gzipBytes / events,
  };
}

/** Every record in the stream, read from the start of each shard. */
export async function readStreamRecords(
  kinesis: KinesisClient,
  streamName: string,
): Promise<_Record[]> {
  const shards = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const records: _Record[] = [];
  for (const shard of shards.Shards ?? []) {
    const reader = new ShardReader(kinesis, streamName, shard.ShardId as string, {
      position: 'TRIM_HORIZON',
    });
    for (;;) {
      const read = await reader.read(10_000);
      records.push(...read.records);
      if (read.records.length === 0 && read.millisBehindLatest === 0) break;
    }
  }
  return records;
}
