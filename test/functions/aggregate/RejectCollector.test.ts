import { describe, expect, it } from 'vitest';
import type { RejectReason } from '../../../core/events/RejectReason.js';
import {
  RejectCollector,
  type RejectFields,
} from '../../../functions/aggregate/RejectCollector.js';

const MALFORMED: RejectReason = { code: 'malformed_json', message: 'malformed JSON: x' };
const SCHEMA: RejectReason = { code: 'schema_violation', message: 'id: required', field: 'id' };

function fields(sequenceNumber: string, lineIndex: number, reason: RejectReason): RejectFields {
  return {
    reason,
    shardId: 'shard-0',
    sequenceNumber,
    lineIndex,
    arrivalTime: '2026-11-22T10:00:00.000Z',
  };
}

describe('RejectCollector', () => {
  it('writes a run of one record with the same reason once and counts the rest', () => {
    const batch = new RejectCollector();
    const record = batch.forRecord();

    for (let line = 0; line < 12_346; line++) record.add(fields('1', line, MALFORMED), 'x');
    record.add(fields('1', 12_346, SCHEMA), '{}');
    batch.absorb(record);

    expect(batch.count).toBe(12_347);
    expect(batch.countsByCode).toEqual({ malformed_json: 12_346, schema_violation: 1 });
    expect(batch.entries).toEqual([
      {
        ...fields('1', 0, MALFORMED),
        raw: 'x',
        omitted: { lines: 12_345, throughLineIndex: 12_345, byCode: { malformed_json: 12_345 } },
        note: '12,345 more lines refused with the same reason',
      },
      { ...fields('1', 12_346, SCHEMA), raw: '{}' },
    ]);
  });

  it('starts a new entry for the same reason in the next record', () => {
    const batch = new RejectCollector();
    for (const sequenceNumber of ['1', '2']) {
      const record = batch.forRecord();
      record.add(fields(sequenceNumber, 0, MALFORMED), 'x');
      batch.absorb(record);
    }

    expect(batch.entries.map((entry) => entry.sequenceNumber)).toEqual(['1', '2']);
  });

  it('once the budget is spent, counts the rest of a record by code in one unquoted entry', () => {
    // Prepare: room for about two entries of 1,000 characters
    const batch = new RejectCollector(2_600);
    const record = batch.forRecord();
    const distinct = (line: number): RejectReason => ({
      code: 'malformed_json',
      message: `m${line}`,
    });

    // Act
    for (let line = 0; line < 100; line++) {
      record.add(fields('1', line, line % 2 ? SCHEMA : distinct(line)), 'y'.repeat(1_000));
    }
    batch.absorb(record);

    // Assess
    const entries = batch.entries;
    const last = entries.at(-1);
    expect(batch.count).toBe(100);
    expect(batch.countsByCode).toEqual({ malformed_json: 50, schema_violation: 50 });
    expect(entries.length).toBeLessThanOrEqual(4);
    expect(entries.slice(0, -1).every((entry) => entry.rawOmitted === undefined)).toBe(true);
    expect(last).toMatchObject({ raw: '', rawOmitted: true, omitted: { throughLineIndex: 99 } });
    const written = entries.length;
    expect(last?.omitted?.lines).toBe(100 - written);
    expect(last?.note).toContain(`${100 - written} more lines of this record refused`);
    const omittedByCode = Object.values(last?.omitted?.byCode ?? {}).reduce((a, b) => a + b, 0);
    expect(omittedByCode).toBe(100 - written);
  });

  it('leaves no trace of a record it does not absorb', () => {
    const batch = new RejectCollector();
    const failed = batch.forRecord();
    failed.add(fields('1', 0, MALFORMED), 'x');

    expect(batch.count).toBe(0);
    expect(batch.entries).toEqual([]);
  });
});
