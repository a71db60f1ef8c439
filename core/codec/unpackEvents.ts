import { readKplRecord } from './kplCodec.js';
import { unpackRecord } from './ndjsonCodec.js';

/** The event lines of one Kinesis record, whichever way it was packed. */
export interface UnpackedRecord {
  /**
   * NDJSON lines without their newline, in order. For a KPL aggregate, the
   * lines of each user record in user-record order, so a line's index is
   * stable across deliveries and identifies it in reject reports.
   */
  lines: string[];
  /** User records in a KPL aggregate; absent for plain data. */
  userRecords?: number;
  /**
   * Set when the data starts with the KPL magic but is not a valid aggregate
   * (too short, MD5 mismatch, malformed protobuf): what is wrong. Like KCL,
   * the data is then read as plain, so `lines` are its raw lines, and none of
   * them can be trusted: the NDJSON inside user records would still parse.
   */
  corruptAggregate?: string;
}

/**
 * Splits a record's data into event lines: a KPL aggregated record is
 * de-aggregated first, and each user record's data holds one or more NDJSON
 * lines; anything else is read as NDJSON directly.
 *
 * @example
 * const { lines, corruptAggregate } = unpackEvents(Buffer.from(record.kinesis.data, 'base64'));
 */
export function unpackEvents(data: Uint8Array): UnpackedRecord {
  const reading = readKplRecord(data);
  switch (reading.kind) {
    case 'plain':
      return { lines: unpackRecord(data) };
    case 'corrupt':
      return { lines: unpackRecord(data), corruptAggregate: reading.problem };
    case 'aggregated': {
      const lines: string[] = [];
      for (const userRecord of reading.records) {
        for (const line of unpackRecord(userRecord.data)) lines.push(line);
      }
      return { lines, userRecords: reading.records.length };
    }
  }
}
