import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { unpackRecord } from '../../core/codec/ndjsonCodec.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { ShardReader } from '../../local/kinesis/ShardReader.js';

/**
 * Every event in the stream, read with GetRecords from the start of each shard
 * until the shard is caught up, in shard order.
 */
export async function readStreamEvents(
  kinesis: KinesisClient,
  streamName: string,
): Promise<StreamfoldEvent[]> {
  const shards = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const events: StreamfoldEvent[] = [];
  for (const shard of shards.Shards ?? []) {
    const reader = new ShardReader(kinesis, streamName, shard.ShardId as string, {
      position: 'TRIM_HORIZON',
    });
    for (;;) {
      const read = await reader.read(10_000);
      for (const record of read.records) {
        for (const line of unpackRecord(record.Data as Uint8Array)) events.push(JSON.parse(line));
      }
      if (read.records.length === 0 && read.millisBehindLatest === 0) break;
    }
  }
  return events;
}

/** Creates a stream and waits until it is active. */
export async function createActiveStream(
  kinesis: KinesisClient,
  streamName: string,
  shardCount = 1,
): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  while (
    (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName })))
      .StreamDescriptionSummary?.StreamStatus !== 'ACTIVE'
  ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The events in `after` that are not in `before`, by id. Shards are read one
 * after the other, so new events are not simply the tail of the list.
 */
export function newEvents(
  before: readonly StreamfoldEvent[],
  after: readonly StreamfoldEvent[],
): StreamfoldEvent[] {
  const seen = new Set(before.map((event) => event.id));
  return after.filter((event) => !seen.has(event.id));
}
