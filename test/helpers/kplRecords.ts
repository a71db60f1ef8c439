import { KplRecordBuilder } from '../../core/codec/kplCodec.js';
import { encodeEventLine } from '../../core/codec/ndjsonCodec.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';

/**
 * The data of a KPL aggregated record whose user records each hold the given
 * events as NDJSON lines, in order.
 *
 * @example
 * const data = kplRecordData([[eventA, eventB], [eventC]]); // two user records
 */
export function kplRecordData(
  userRecords: readonly (readonly StreamfoldEvent[])[],
  partitionKey = 'test-key',
): Buffer {
  const builder = new KplRecordBuilder();
  for (const events of userRecords) {
    builder.add({ partitionKey, data: Buffer.concat(events.map(encodeEventLine)) });
  }
  return builder.build();
}

/** `data` with one bit of its protobuf message flipped, so its MD5 no longer matches. */
export function corruptedKplRecordData(data: Buffer): Buffer {
  const copy = Buffer.from(data);
  // Byte 4 is the first byte after the magic: always part of the message.
  copy[4] = (copy[4] as number) ^ 0x01;
  return copy;
}
