import { describe, expect, it } from 'vitest';
import { KINESIS_LIMITS, PACKED_RECORD_TARGET_BYTES } from '../../../core/codec/limits.js';
import { encodeEventLine, packLines, unpackRecord } from '../../../core/codec/ndjsonCodec.js';
import { sampleEvent } from '../../helpers/events.js';

/** A line of exactly `bytes` bytes (newline included) made of one repeated character. */
function lineOfBytes(bytes: number, char = 'x'): Buffer {
  return Buffer.from(`${char.repeat(bytes - 1)}\n`, 'utf8');
}

describe('encodeEventLine', () => {
  it('ends the line with a single newline when encoding an event', () => {
    // Prepare
    const event = sampleEvent('purchase');

    // Act
    const line = encodeEventLine(event);

    // Assess
    expect(line.at(-1)).toBe(0x0a);
    expect(line.subarray(0, -1).includes(0x0a)).toBe(false);
    expect(JSON.parse(line.toString('utf8'))).toEqual(event);
  });

  it('counts multi-byte characters in bytes when the event holds unicode', () => {
    // Prepare: 'ü' is 2 bytes, '€' 3 bytes and '😀' 4 bytes in UTF-8
    const event = { text: 'ü€😀' };

    // Act
    const line = encodeEventLine(event);

    // Assess: {"text":"..."} is 11 ASCII bytes, the text 9 bytes, then the newline
    expect(line.length).toBe(11 + 2 + 3 + 4 + 1);
  });
});

describe('packLines', () => {
  it('uses one PUT payload unit as the default target', () => {
    expect(PACKED_RECORD_TARGET_BYTES).toBe(25 * 1024);
    expect(KINESIS_LIMITS.maxRecordsPerPutRecords).toBe(500);
    expect(KINESIS_LIMITS.maxBytesPerPutRecords).toBe(5 * 1024 * 1024);
  });

  describe.each([
    { target: 100, sizes: [30, 30, 30, 30, 30] },
    { target: 100, sizes: [50, 50, 50, 1, 99, 100, 1] },
    { target: 64, sizes: [64, 1, 63, 2, 62, 33, 32] },
    { target: 10, sizes: [3, 4, 5, 6, 7, 8, 9, 10] },
  ])('with target $target and line sizes $sizes', ({ target, sizes }) => {
    const lines = sizes.map((size, i) => lineOfBytes(size, String.fromCharCode(97 + i)));

    it('keeps every record within the target when no line is oversized', () => {
      // Act
      const records = packLines(lines, target);

      // Assess
      for (const record of records) expect(record.length).toBeLessThanOrEqual(target);
    });

    it('preserves every line in order when records are concatenated', () => {
      // Act
      const records = packLines(lines, target);

      // Assess
      expect(Buffer.concat(records).equals(Buffer.concat(lines))).toBe(true);
    });

    it('starts a new record only when the next line would not fit', () => {
      // Act
      const records = packLines(lines, target);

      // Assess: greedy packing, computed independently
      const expected: number[] = [];
      let current = 0;
      for (const size of sizes) {
        if (current > 0 && current + size > target) {
          expected.push(current);
          current = 0;
        }
        current += size;
      }
      if (current > 0) expected.push(current);
      expect(records.map((r) => r.length)).toEqual(expected);
    });
  });

  it('puts an oversized line alone in its own record when it exceeds the target', () => {
    // Prepare
    const lines = [lineOfBytes(10, 'a'), lineOfBytes(500, 'b'), lineOfBytes(10, 'c')];

    // Act
    const records = packLines(lines, 100);

    // Assess
    expect(records.map((r) => r.length)).toEqual([10, 500, 10]);
    expect(records[1]?.equals(lines[1] as Buffer)).toBe(true);
  });

  it('counts bytes rather than characters when lines hold multi-byte text', () => {
    // Prepare: 4 characters + newline, but 3 * 4 + 1 = 13 bytes each
    const line = Buffer.from('😀😀😀\n', 'utf8');
    expect(line.length).toBe(13);

    // Act
    const records = packLines([line, line, line], 26);

    // Assess: two lines fill 26 bytes exactly; the third needs a new record
    expect(records.map((r) => r.length)).toEqual([26, 13]);
  });

  it('returns no records when there are no lines', () => {
    expect(packLines([], 100)).toEqual([]);
  });
});

describe('unpackRecord', () => {
  it('returns the events in order when a packed record is unpacked', () => {
    // Prepare
    const events = [sampleEvent('page_view'), sampleEvent('add_to_cart'), sampleEvent('purchase')];
    const [record, ...rest] = packLines(events.map(encodeEventLine));

    // Act
    const lines = unpackRecord(record as Buffer);

    // Assess
    expect(rest).toEqual([]);
    expect(lines.map((line) => JSON.parse(line))).toEqual(events);
  });

  it('round-trips unicode text when lines hold multi-byte characters', () => {
    // Prepare
    const events = [{ text: 'Grüße 😀' }, { text: '日本語' }];

    // Act
    const lines = packLines(events.map(encodeEventLine)).flatMap(unpackRecord);

    // Assess
    expect(lines.map((line) => JSON.parse(line))).toEqual(events);
  });

  it('skips empty lines when the record holds blank lines', () => {
    // Act
    const lines = unpackRecord(Buffer.from('\n{"a":1}\n\n\n{"b":2}\n\n', 'utf8'));

    // Assess
    expect(lines).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('returns a final line without a newline when a foreign producer wrote plain JSON', () => {
    // Act
    const lines = unpackRecord(Buffer.from('{"a":1}\n{"b":2}', 'utf8'));

    // Assess
    expect(lines).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('reads only its own bytes when given a Uint8Array view into a larger buffer', () => {
    // Prepare
    const backing = new TextEncoder().encode('XXXX{"a":1}\n{"b":2}\nYYYY');
    const view = new Uint8Array(backing.buffer, 4, 16);

    // Act
    const lines = unpackRecord(view);

    // Assess
    expect(lines).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('returns no lines when the record is empty', () => {
    expect(unpackRecord(new Uint8Array(0))).toEqual([]);
  });
});
