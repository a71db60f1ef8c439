import { PACKED_RECORD_TARGET_BYTES } from './limits.js';

/**
 * Encodes one event as an NDJSON line: its JSON followed by `\n`. Every line,
 * including the last in a record, ends with a newline so that records
 * concatenated by Firehose remain valid NDJSON.
 */
export function encodeEventLine(event: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(event)}\n`, 'utf8');
}

/**
 * Packs encoded lines into records of at most `targetBytes` each, in order.
 * A line larger than the target travels alone in its own record.
 *
 * @example
 * const records = packLines(events.map(encodeEventLine));
 */
export function packLines(
  lines: readonly Buffer[],
  targetBytes: number = PACKED_RECORD_TARGET_BYTES,
): Buffer[] {
  const records: Buffer[] = [];
  let current: Buffer[] = [];
  let currentBytes = 0;
  for (const line of lines) {
    if (currentBytes > 0 && currentBytes + line.length > targetBytes) {
      records.push(Buffer.concat(current, currentBytes));
      current = [];
      currentBytes = 0;
    }
    current.push(line);
    currentBytes += line.length;
  }
  if (currentBytes > 0) records.push(Buffer.concat(current, currentBytes));
  return records;
}

/**
 * Splits a record's data into its NDJSON lines (without the newline). Empty
 * lines are skipped; a final line without a newline is still returned, so a
 * record written by a foreign producer as plain JSON reads as one event.
 */
export function unpackRecord(data: Uint8Array): string[] {
  const buffer = Buffer.isBuffer(data)
    ? data
    : Buffer.from(data.buffer, data.byteOffset, data.length);
  // Decoded once and split as text: UTF-8 never uses the newline byte inside a character, and
  // the decoder never swallows it into a bad sequence, so the lines are those of the bytes.
  const text = buffer.toString('utf8');
  const lines: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    if (end > start) lines.push(text.slice(start, end));
    start = end + 1;
  }
  return lines;
}
