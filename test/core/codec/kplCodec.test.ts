import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EmptyKplRecordError, InvalidKplUserRecordError } from '../../../core/codec/errors.js';
import {
  deaggregateKplRecord,
  isKplAggregated,
  KPL_MAGIC,
  KplRecordBuilder,
  type KplUserRecord,
  readKplRecord,
} from '../../../core/codec/kplCodec.js';
import {
  aggregateWithReference,
  deaggregateWithReference,
  decodeWithProtobufjs,
} from '../../helpers/awsKinesisAgg.js';
import { seededRandom } from '../../helpers/seededRandom.js';

/** MD5 digest bytes at the end of an aggregated record, per the format. */
const DIGEST_BYTES = 16;
/** 2^128 - 1, the largest hash key. */
const MAX_HASH_KEY = ((1n << 128n) - 1n).toString();

/** Partition keys around the one-byte length limit and in multi-byte UTF-8. */
const AWKWARD_KEYS = [
  'k',
  'ключ',
  '日本語のキー',
  '😀 emoji',
  'é'.repeat(63), // 126 bytes
  'é'.repeat(64), // 128 bytes, 64 characters
  'a'.repeat(127),
  'a'.repeat(128),
  '😀'.repeat(256), // 256 characters, 1024 bytes
];
/** Data lengths on both sides of the one- and two-byte varint limits. */
const AWKWARD_DATA_LENGTHS = [0, 1, 124, 125, 126, 127, 128, 129, 16_379, 16_383, 16_384, 16_385];

/**
 * Random user records over awkward keys and data lengths. With `indexLikeKeys: false`, no key
 * reads as an array index ("0", "17"): aws-kinesis-agg builds its key tables with
 * `Object.keys`, which puts such keys first, so it mislabels records that use them.
 */
function randomRecords(
  count: number,
  seed: number,
  { indexLikeKeys = true }: { indexLikeKeys?: boolean } = {},
): KplUserRecord[] {
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const fixedHashKeys = indexLikeKeys ? ['0', '1', MAX_HASH_KEY] : ['4294967296', MAX_HASH_KEY];
  const records: KplUserRecord[] = [];
  for (let i = 0; i < count; i++) {
    const partitionKey = next() < 0.4 ? `pk-${Math.floor(next() * 1e9)}-ü` : pick(AWKWARD_KEYS);
    const hashKeyChoice = next();
    const explicitHashKey =
      hashKeyChoice < 0.5
        ? undefined
        : hashKeyChoice < 0.8
          ? pick(fixedHashKeys)
          : ((BigInt(Math.floor(next() * 2 ** 53)) + 1n) << 40n).toString();
    const length = next() < 0.3 ? pick(AWKWARD_DATA_LENGTHS) : Math.floor(next() * 400);
    const data = Buffer.alloc(length);
    for (let b = 0; b < length; b++) data[b] = Math.floor(next() * 256);
    records.push(
      explicitHashKey === undefined
        ? { partitionKey, data }
        : { partitionKey, explicitHashKey, data },
    );
  }
  return records;
}

function built(records: readonly KplUserRecord[]): Buffer {
  const builder = new KplRecordBuilder();
  for (const record of records) builder.add(record);
  return builder.build();
}

/** Frames a hand-written protobuf message as the format says: magic, message, MD5 of the message. */
function frame(message: readonly number[]): Buffer {
  const bytes = Buffer.from(message);
  return Buffer.concat([KPL_MAGIC, bytes, createHash('md5').update(bytes).digest()]);
}

/** The records as plain objects, for deep equality regardless of Buffer views. */
function plain(records: readonly KplUserRecord[] | undefined) {
  return records?.map(({ partitionKey, explicitHashKey, data }) => ({
    partitionKey,
    explicitHashKey,
    data: Buffer.from(data).toString('hex'),
  }));
}

describe('KPL_MAGIC', () => {
  it('is F3 89 9A C2 as the aggregation format specifies', () => {
    expect(KPL_MAGIC.toString('hex')).toBe('f3899ac2');
  });
});

describe('KplRecordBuilder', () => {
  it('writes the same bytes as aws-kinesis-agg when given the same user records', () => {
    // Prepare
    const records = randomRecords(150, 1, { indexLikeKeys: false });

    // Act
    const ours = built(records);

    // Assess
    expect(ours.equals(aggregateWithReference(records))).toBe(true);
  });

  it('is read back by aws-kinesis-agg with the same partition keys, hash keys and data', () => {
    // Prepare: every user record has an explicit hash key, so the library's default-index quirk cannot hide a bug
    const records = randomRecords(120, 2).map((record, i) => ({
      ...record,
      explicitHashKey: record.explicitHashKey ?? String(i),
    }));

    // Act
    const theirs = deaggregateWithReference(built(records));

    // Assess
    expect(plain(theirs)).toEqual(plain(records));
  });

  it('writes the explicit hash key index only for user records that have one', () => {
    // Prepare
    const records = randomRecords(120, 3);
    expect(records.some((r) => r.explicitHashKey === undefined)).toBe(true);
    expect(records.some((r) => r.explicitHashKey !== undefined)).toBe(true);

    // Act
    const decoded = decodeWithProtobufjs(built(records));

    // Assess
    expect(plain(decoded.records)).toEqual(plain(records));
    expect(deaggregateWithReference(built(records)).map((r) => r.partitionKey)).toEqual(
      records.map((r) => r.partitionKey),
    );
  });

  it('stores each partition key and explicit hash key once when they repeat', () => {
    // Prepare
    const records = randomRecords(200, 4);

    // Act
    const decoded = decodeWithProtobufjs(built(records));

    // Assess
    expect(decoded.partitionKeyTable).toEqual([...new Set(records.map((r) => r.partitionKey))]);
    expect(decoded.explicitHashKeyTable).toEqual([
      ...new Set(
        records.flatMap((r) => (r.explicitHashKey === undefined ? [] : [r.explicitHashKey])),
      ),
    ]);
  });

  it('predicts the built length exactly with sizeWith and size after every add', () => {
    // Prepare
    const records = randomRecords(250, 5);
    const builder = new KplRecordBuilder();

    for (const record of records) {
      // Act
      const predicted = builder.sizeWith(record);
      builder.add(record);

      // Assess
      expect(builder.size).toBe(predicted);
      expect(builder.build().length).toBe(predicted);
    }
    expect(builder.count).toBe(records.length);
  });

  it('counts two-byte table indexes once the tables pass 128 entries', () => {
    // Prepare: 200 distinct keys of each kind, so indexes 128 and up take two varint bytes
    const builder = new KplRecordBuilder();
    const records = Array.from({ length: 200 }, (_, i) => ({
      partitionKey: `key-${i}`,
      explicitHashKey: String(BigInt(i) * 1_000_000_007n),
      data: Buffer.from(`{"i":${i}}\n`),
    }));

    for (const record of records) {
      // Act
      const predicted = builder.sizeWith(record);
      builder.add(record);

      // Assess
      expect(builder.build().length).toBe(predicted);
    }
    expect(plain(deaggregateKplRecord(builder.build()))).toEqual(plain(records));
  });

  it.each(AWKWARD_DATA_LENGTHS)(
    'predicts the length exactly and matches aws-kinesis-agg for %i bytes of data',
    (length) => {
      // Prepare
      const record = { partitionKey: 'é'.repeat(64), data: Buffer.alloc(length, 0x61) };
      const builder = new KplRecordBuilder();

      // Act
      const predicted = builder.sizeWith(record);
      builder.add(record);
      const bytes = builder.build();

      // Assess
      expect(bytes.length).toBe(predicted);
      expect(bytes.equals(aggregateWithReference([record]))).toBe(true);
    },
  );

  it.each([2_097_151, 2_097_152])(
    'predicts the length exactly across the three-byte varint limit (%i bytes)',
    (length) => {
      // Prepare: larger than aws-kinesis-agg accepts (1 MiB), so checked by reading it back
      const record = { partitionKey: 'k', data: Buffer.alloc(length, 0x62) };
      const builder = new KplRecordBuilder();

      // Act
      const predicted = builder.sizeWith(record);
      builder.add(record);
      const bytes = builder.build();

      // Assess
      expect(bytes.length).toBe(predicted);
      expect(deaggregateKplRecord(bytes)?.[0]?.data.equals(record.data)).toBe(true);
    },
  );

  it('leaves the builder unchanged when sizeWith is called', () => {
    // Prepare
    const builder = new KplRecordBuilder();
    builder.add({ partitionKey: 'a', data: Buffer.from('x\n') });
    const before = builder.build();

    // Act
    builder.sizeWith({ partitionKey: 'new', explicitHashKey: '7', data: Buffer.alloc(300) });

    // Assess
    expect(builder.size).toBe(before.length);
    expect(builder.count).toBe(1);
    expect(builder.build().equals(before)).toBe(true);
  });

  it('keeps what it holds when build is called, so adding can go on', () => {
    // Prepare
    const builder = new KplRecordBuilder();
    const first = { partitionKey: 'a', data: Buffer.from('1\n') };
    const second = { partitionKey: 'b', data: Buffer.from('2\n') };
    builder.add(first);

    // Act
    const once = builder.build();
    builder.add(second);

    // Assess
    expect(plain(deaggregateKplRecord(once))).toEqual(plain([first]));
    expect(plain(deaggregateKplRecord(builder.build()))).toEqual(plain([first, second]));
  });

  it('builds a valid aggregate when it holds a single user record', () => {
    // Prepare
    const record = { partitionKey: 'only', data: Buffer.from('{"a":1}\n') };

    // Act
    const bytes = built([record]);

    // Assess
    expect(isKplAggregated(bytes)).toBe(true);
    expect(plain(deaggregateWithReference(bytes))).toEqual(plain([record]));
  });

  it('throws EmptyKplRecordError when build is called before any add', () => {
    // Prepare
    const builder = new KplRecordBuilder();

    // Act & Assess
    expect(builder.size).toBe(KPL_MAGIC.length + DIGEST_BYTES);
    expect(builder.count).toBe(0);
    expect(() => builder.build()).toThrow(EmptyKplRecordError);
  });

  it.each([
    { case: 'an empty partition key', field: 'partitionKey', record: { partitionKey: '' } },
    {
      case: 'a 257-character partition key',
      field: 'partitionKey',
      record: { partitionKey: 'p'.repeat(257) },
    },
    { case: 'a negative hash key', field: 'explicitHashKey', record: { explicitHashKey: '-1' } },
    { case: 'leading zeros', field: 'explicitHashKey', record: { explicitHashKey: '007' } },
    { case: 'an exponent', field: 'explicitHashKey', record: { explicitHashKey: '1e5' } },
    {
      case: 'a hash key of 2^128',
      field: 'explicitHashKey',
      record: { explicitHashKey: (1n << 128n).toString() },
    },
    { case: 'data that is a string', field: 'data', record: { data: 'text' as unknown as Buffer } },
  ])('refuses $case naming the field and the value', ({ field, record: overrides }) => {
    // Prepare
    const builder = new KplRecordBuilder();
    const record: KplUserRecord = { partitionKey: 'p', data: Buffer.from('x'), ...overrides };
    const given = JSON.stringify((record as unknown as Record<string, unknown>)[field]);

    // Act
    const act = () => builder.add(record);

    // Assess
    expect(act).toThrow(InvalidKplUserRecordError);
    expect(act).toThrow(`${field}: `);
    expect(act).toThrow(`(given ${given.slice(0, 40)}`);
    expect(() => builder.sizeWith(record)).toThrow(InvalidKplUserRecordError);
    expect(builder.count).toBe(0);
  });

  it('accepts a partition key of 256 characters even when it holds more UTF-16 units', () => {
    // Prepare: 256 emoji are 512 UTF-16 units but 256 Unicode characters
    const record = { partitionKey: '😀'.repeat(256), data: Buffer.from('x') };
    const builder = new KplRecordBuilder();

    // Act
    builder.add(record);

    // Assess
    expect(deaggregateKplRecord(builder.build())?.[0]?.partitionKey).toBe(record.partitionKey);
  });

  it('leaves no trace of a refused record when its explicit hash key is invalid', () => {
    // Prepare
    const builder = new KplRecordBuilder();
    const good = { partitionKey: 'good', data: Buffer.from('1\n') };
    builder.add(good);
    const sizeBefore = builder.size;

    // Act
    expect(() =>
      builder.add({ partitionKey: 'refused', explicitHashKey: 'x', data: Buffer.from('2\n') }),
    ).toThrow(InvalidKplUserRecordError);

    // Assess
    expect(builder.size).toBe(sizeBefore);
    expect(builder.count).toBe(1);
    expect(decodeWithProtobufjs(builder.build()).partitionKeyTable).toEqual(['good']);
  });
});

describe('deaggregateKplRecord', () => {
  it('returns the user records aws-kinesis-agg aggregated', () => {
    // Prepare
    const records = randomRecords(150, 6, { indexLikeKeys: false });
    const aggregated = aggregateWithReference(records);

    // Act
    const ours = deaggregateKplRecord(aggregated);

    // Assess
    expect(plain(ours)).toEqual(plain(records));
  });

  it('round-trips what KplRecordBuilder built', () => {
    // Prepare
    const records = randomRecords(300, 7);

    // Act
    const read = deaggregateKplRecord(built(records));

    // Assess
    expect(plain(read)).toEqual(plain(records));
  });

  it('reads only its own bytes when given a Uint8Array view into a larger buffer', () => {
    // Prepare
    const record = { partitionKey: 'p', data: Buffer.from('{"a":1}\n') };
    const bytes = built([record]);
    const backing = new Uint8Array(bytes.length + 10);
    backing.set(bytes, 5);

    // Act
    const read = deaggregateKplRecord(new Uint8Array(backing.buffer, 5, bytes.length));

    // Assess
    expect(plain(read)).toEqual(plain([record]));
  });

  it.each([
    { name: 'empty data', data: () => Buffer.alloc(0) },
    { name: 'plain NDJSON', data: () => Buffer.from('{"a":1}\n{"b":2}\n') },
    { name: 'the magic alone', data: () => Buffer.from(KPL_MAGIC) },
    { name: 'magic and the MD5 of an empty message', data: () => frame([]) },
    {
      name: 'a flipped byte in the message',
      data: () => {
        const bytes = built(randomRecords(5, 8));
        bytes[10] = (bytes[10] as number) ^ 0x01;
        return bytes;
      },
    },
    {
      name: 'a flipped byte in the MD5',
      data: () => {
        const bytes = built(randomRecords(5, 9));
        bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0x80;
        return bytes;
      },
    },
    { name: 'the last byte cut off', data: () => built(randomRecords(5, 10)).subarray(0, -1) },
    {
      name: 'the second half cut off',
      data: () => {
        const bytes = built(randomRecords(5, 11));
        return bytes.subarray(0, bytes.length >> 1);
      },
    },
  ])('returns undefined for $name', ({ data }) => {
    expect(deaggregateKplRecord(data())).toBeUndefined();
  });

  // Hand-written messages with a correct MD5, so only the protobuf is at fault.
  it.each([
    { name: 'a length running past the end', message: [0x0a, 0x05, 0x61] },
    { name: 'a record without data', message: [0x0a, 0x01, 0x61, 0x1a, 0x02, 0x08, 0x00] },
    {
      name: 'a record without partition key index',
      message: [0x0a, 0x01, 0x61, 0x1a, 0x03, 0x1a, 0x01, 0x78],
    },
    {
      name: 'a partition key index outside the table',
      message: [0x0a, 0x01, 0x61, 0x1a, 0x05, 0x08, 0x01, 0x1a, 0x01, 0x78],
    },
    {
      name: 'an explicit hash key index without a table',
      message: [0x0a, 0x01, 0x61, 0x1a, 0x07, 0x08, 0x00, 0x10, 0x00, 0x1a, 0x01, 0x78],
    },
    {
      name: 'a tag without key',
      message: [0x0a, 0x01, 0x61, 0x1a, 0x09, 0x08, 0x00, 0x1a, 0x01, 0x78, 0x22, 0x02, 0x12, 0x00],
    },
    { name: 'a varint longer than 10 bytes', message: [0x08, ...Array(10).fill(0xff), 0x01] },
    { name: 'wire type 7', message: [0x0f, 0x00] },
    { name: 'field number 0', message: [0x02, 0x00] },
    { name: 'an end-group without start', message: [0x0c] },
  ])('returns undefined and says the message is malformed for $name', ({ message }) => {
    // Prepare
    const data = frame(message);

    // Act
    const reading = readKplRecord(data);

    // Assess
    expect(deaggregateKplRecord(data)).toBeUndefined();
    expect(reading).toMatchObject({ kind: 'corrupt' });
    expect(reading.kind === 'corrupt' && reading.problem).toMatch(/^malformed protobuf message: /);
  });

  it('skips unknown fields and well-formed tags as protobuf parsers do', () => {
    // Prepare: field 15 (varint) at the top; in the record a fixed32 field 5, a group 6 and a tag
    const message = [
      0x78,
      0x96,
      0x01, // field 15 = 150
      0x0a,
      0x01,
      0x61, // partition_key_table: "a"
      0x1a,
      0x15, // records, 21 bytes:
      0x08,
      0x00, //   partition_key_index 0
      0x2d,
      0x01,
      0x02,
      0x03,
      0x04, //   field 5, fixed32
      0x33,
      0x08,
      0x01,
      0x34, //   field 6, group holding field 1 = 1
      0x22,
      0x05,
      0x0a,
      0x01,
      0x74,
      0x12,
      0x00, //   tags: { key: "t", value: "" }
      0x1a,
      0x01,
      0x78, //   data "x"
    ];

    // Act
    const read = deaggregateKplRecord(frame(message));

    // Assess
    expect(plain(read)).toEqual(plain([{ partitionKey: 'a', data: Buffer.from('x') }]));
  });

  it('returns no user records when a valid aggregate holds none', () => {
    expect(deaggregateKplRecord(frame([0x0a, 0x01, 0x61]))).toEqual([]);
  });
});

describe('readKplRecord', () => {
  it('reports plain data when the magic is missing', () => {
    expect(readKplRecord(Buffer.from('{"a":1}\n'))).toEqual({ kind: 'plain' });
  });

  it('names the stored and computed checksums when the MD5 does not match', () => {
    // Prepare
    const bytes = built(randomRecords(3, 12));
    bytes[bytes.length - DIGEST_BYTES] = (bytes[bytes.length - DIGEST_BYTES] as number) ^ 0xff;
    const stored = bytes.subarray(-DIGEST_BYTES).toString('hex');

    // Act
    const reading = readKplRecord(bytes);

    // Assess
    expect(reading.kind).toBe('corrupt');
    expect(reading.kind === 'corrupt' && reading.problem).toContain(
      `MD5 checksum mismatch (stored ${stored}`,
    );
  });
});

describe('isKplAggregated', () => {
  it.each([
    { name: 'a built aggregate', data: () => built(randomRecords(4, 13)), expected: true },
    // The check covers magic, length and MD5 only, like KCL's first test.
    {
      name: 'a valid MD5 over a malformed message',
      data: () => frame([0x0a, 0x05]),
      expected: true,
    },
    { name: 'empty data', data: () => Buffer.alloc(0), expected: false },
    { name: 'plain NDJSON', data: () => Buffer.from('{"a":1}\n'), expected: false },
    { name: 'magic and the MD5 of an empty message', data: () => frame([]), expected: false },
    {
      name: 'a bad MD5',
      data: () => {
        const bytes = built(randomRecords(4, 14));
        bytes[5] = (bytes[5] as number) ^ 0x10;
        return bytes;
      },
      expected: false,
    },
  ])('returns $expected for $name', ({ data, expected }) => {
    expect(isKplAggregated(data())).toBe(expected);
  });
});
