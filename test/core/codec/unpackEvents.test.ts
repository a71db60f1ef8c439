import { describe, expect, it } from 'vitest';
import { KplRecordBuilder } from '../../../core/codec/kplCodec.js';
import { encodeEventLine, packLines, unpackRecord } from '../../../core/codec/ndjsonCodec.js';
import { unpackEvents } from '../../../core/codec/unpackEvents.js';
import { sampleEvent } from '../../helpers/events.js';
import { corruptedKplRecordData, kplRecordData } from '../../helpers/kplRecords.js';

describe('unpackEvents', () => {
  it('returns the NDJSON lines when the record is plain NDJSON', () => {
    // Prepare
    const events = [sampleEvent('page_view'), sampleEvent('purchase')];
    const [record] = packLines(events.map(encodeEventLine));

    // Act
    const unpacked = unpackEvents(record as Buffer);

    // Assess
    expect(unpacked.lines.map((line) => JSON.parse(line))).toEqual(events);
    expect(unpacked.userRecords).toBeUndefined();
    expect(unpacked.corruptAggregate).toBeUndefined();
  });

  it('returns the lines of every user record in order when the record is a KPL aggregate', () => {
    // Prepare: user records of one, three and two events
    const groups = [
      [sampleEvent('purchase')],
      [sampleEvent('page_view'), sampleEvent('add_to_cart'), sampleEvent('purchase')],
      [sampleEvent('add_to_cart'), sampleEvent('page_view')],
    ];

    // Act
    const unpacked = unpackEvents(kplRecordData(groups));

    // Assess
    expect(unpacked.lines.map((line) => JSON.parse(line))).toEqual(groups.flat());
    expect(unpacked.userRecords).toBe(groups.length);
    expect(unpacked.corruptAggregate).toBeUndefined();
  });

  it('reads a user record without a final newline as one more line', () => {
    // Prepare: a foreign producer putting one JSON document per user record
    const builder = new KplRecordBuilder();
    builder.add({ partitionKey: 'p', data: Buffer.from('{"a":1}') });
    builder.add({ partitionKey: 'p', data: Buffer.from('{"b":2}\n{"c":3}') });

    // Act
    const unpacked = unpackEvents(builder.build());

    // Assess
    expect(unpacked.lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it('reads the data as plain lines and says why when the aggregate is corrupt', () => {
    // Prepare
    const data = corruptedKplRecordData(
      kplRecordData([[sampleEvent('purchase'), sampleEvent('purchase')]]),
    );

    // Act
    const unpacked = unpackEvents(data);

    // Assess
    expect(unpacked.lines).toEqual(unpackRecord(data));
    expect(unpacked.corruptAggregate).toMatch(/^MD5 checksum mismatch/);
    expect(unpacked.userRecords).toBeUndefined();
  });

  it('returns no lines when the record is empty', () => {
    expect(unpackEvents(new Uint8Array(0))).toEqual({ lines: [] });
  });
});
