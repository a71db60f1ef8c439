import { createHash } from 'node:crypto';
import { EmptyKplRecordError, InvalidKplUserRecordError } from './errors.js';
import { KINESIS_LIMITS } from './limits.js';

/*
 * The KPL aggregated record format, as the Kinesis Producer Library writes it and the
 * Kinesis Client Library reads it (awslabs/amazon-kinesis-producer, aggregation-format.md;
 * KCL's AggregatorUtil):
 *
 *   F3 89 9A C2 | protobuf (proto2) AggregatedRecord | MD5 of the protobuf bytes (16 bytes)
 *
 *   message AggregatedRecord { repeated string partition_key_table = 1;
 *                              repeated string explicit_hash_key_table = 2;
 *                              repeated Record records = 3; }
 *   message Record { required uint64 partition_key_index = 1;
 *                    optional uint64 explicit_hash_key_index = 2;
 *                    required bytes data = 3;
 *                    repeated Tag tags = 4; }
 *   message Tag    { required string key = 1; optional string value = 2; }
 *
 * The protobuf is written by hand: the schema is three tiny messages, and exact,
 * incremental size accounting is what the producer needs from it.
 */

/** The four bytes every KPL aggregated record starts with: `F3 89 9A C2`. */
export const KPL_MAGIC: Buffer = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);

/** One user record inside an aggregated record. */
export interface KplUserRecord {
  partitionKey: string;
  /** Decimal hash key in [0, 2^128 - 1] that overrides the MD5 of `partitionKey` for shard routing. */
  explicitHashKey?: string;
  data: Buffer;
}

/** MD5 digest length, bytes. */
const DIGEST_BYTES = 16;
/** Magic plus digest: the bytes an aggregated record has besides its protobuf message. */
const FRAME_BYTES = KPL_MAGIC.length + DIGEST_BYTES;
/** Largest explicit hash key: hash keys are 128-bit. */
const MAX_EXPLICIT_HASH_KEY = (1n << 128n) - 1n;
/** Kinesis' own ExplicitHashKey pattern: a decimal number without sign or leading zeros. */
const EXPLICIT_HASH_KEY_PATTERN = /^(0|[1-9]\d{0,38})$/;

// Protobuf wire types.
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;

// Tags (field number << 3 | wire type) of the fields the format uses.
const TAG_PARTITION_KEY_TABLE = (1 << 3) | WIRE_LENGTH_DELIMITED;
const TAG_EXPLICIT_HASH_KEY_TABLE = (2 << 3) | WIRE_LENGTH_DELIMITED;
const TAG_RECORDS = (3 << 3) | WIRE_LENGTH_DELIMITED;
const TAG_PARTITION_KEY_INDEX = (1 << 3) | WIRE_VARINT;
const TAG_EXPLICIT_HASH_KEY_INDEX = (2 << 3) | WIRE_VARINT;
const TAG_DATA = (3 << 3) | WIRE_LENGTH_DELIMITED;
const TAG_TAGS = (4 << 3) | WIRE_LENGTH_DELIMITED;
const TAG_TAG_KEY = (1 << 3) | WIRE_LENGTH_DELIMITED;

/** Marks a record without explicit hash key in the builder's index column. */
const NO_INDEX = -1;

/**
 * Builds one aggregated record incrementally with exact size accounting.
 *
 * Partition keys and explicit hash keys are stored once each in the tables and
 * referenced by index. `add()` keeps a reference to `data` (no copy) until
 * `build()`, so the caller must not modify it in between.
 *
 * Kinesis routes the whole aggregate by the outer record's partition key (or
 * explicit hash key). KCL discards an aggregate as soon as one user record's
 * own hash key falls outside the receiving shard's range, so the user records
 * of one aggregate must map to that shard, as the KPL ensures; sharing one
 * partition key is the simple way.
 *
 * @example
 * const builder = new KplRecordBuilder();
 * for (const line of lines) {
 *   const record = { partitionKey: 'web-shop', data: line };
 *   if (builder.count > 0 && builder.sizeWith(record) > maxBytes) break;
 *   builder.add(record);
 * }
 * await kinesis.send(new PutRecordCommand({ StreamName, PartitionKey: 'web-shop', Data: builder.build() }));
 */
export class KplRecordBuilder {
  readonly #partitionKeyIndexes = new Map<string, number>();
  readonly #explicitHashKeyIndexes = new Map<string, number>();
  /** UTF-8 of each table entry, in index order. */
  readonly #partitionKeyTable: Buffer[] = [];
  readonly #explicitHashKeyTable: Buffer[] = [];
  // One column per Record field, so adding a record allocates no object.
  readonly #partitionKeyIndex: number[] = [];
  readonly #explicitHashKeyIndex: number[] = [];
  readonly #data: Uint8Array[] = [];
  /** Encoded length of each Record message. */
  readonly #recordBytes: number[] = [];
  /** Length of the AggregatedRecord message so far. */
  #messageBytes = 0;

  /**
   * Bytes of the aggregated record if `record` were added now (magic + protobuf + md5).
   * Costs a map lookup per key, plus the UTF-8 length of a key not yet in the table.
   *
   * @throws {InvalidKplUserRecordError} as {@link KplRecordBuilder.add} does
   */
  public sizeWith(record: KplUserRecord): number {
    return FRAME_BYTES + this.#messageBytes + this.#append(record, false);
  }

  /**
   * Adds a user record.
   *
   * @throws {InvalidKplUserRecordError} when the partition key is empty or longer than
   *   256 characters, the explicit hash key is not a decimal number in [0, 2^128 - 1],
   *   or data is not a byte array
   */
  public add(record: KplUserRecord): void {
    this.#messageBytes += this.#append(record, true);
  }

  /** Bytes of the record built so far (as `build()` would return); 20 (magic + MD5) when empty. */
  public get size(): number {
    return FRAME_BYTES + this.#messageBytes;
  }

  /** User records added. */
  public get count(): number {
    return this.#data.length;
  }

  /**
   * Encodes the aggregated record: magic + protobuf + MD5. The builder is left
   * as it was, so `size` still equals the length returned.
   *
   * @throws {EmptyKplRecordError} when no user record was added
   */
  public build(): Buffer {
    if (this.count === 0) throw new EmptyKplRecordError();
    const out = Buffer.allocUnsafe(this.size);
    let pos = KPL_MAGIC.copy(out, 0);
    // Fields in field-number order, as protobuf serializers (and so the KPL) write them.
    for (const key of this.#partitionKeyTable) {
      pos = writeLengthDelimited(out, pos, TAG_PARTITION_KEY_TABLE, key);
    }
    for (const key of this.#explicitHashKeyTable) {
      pos = writeLengthDelimited(out, pos, TAG_EXPLICIT_HASH_KEY_TABLE, key);
    }
    for (let i = 0; i < this.#data.length; i++) {
      out[pos++] = TAG_RECORDS;
      pos = writeVarint(out, pos, this.#recordBytes[i] as number);
      out[pos++] = TAG_PARTITION_KEY_INDEX;
      pos = writeVarint(out, pos, this.#partitionKeyIndex[i] as number);
      const explicitHashKeyIndex = this.#explicitHashKeyIndex[i] as number;
      if (explicitHashKeyIndex !== NO_INDEX) {
        out[pos++] = TAG_EXPLICIT_HASH_KEY_INDEX;
        pos = writeVarint(out, pos, explicitHashKeyIndex);
      }
      pos = writeLengthDelimited(out, pos, TAG_DATA, this.#data[i] as Uint8Array);
    }
    if (pos + DIGEST_BYTES !== out.length) {
      throw new Error(`KPL size accounting is off: wrote ${pos + DIGEST_BYTES} of ${out.length}`);
    }
    md5(out.subarray(KPL_MAGIC.length, pos)).copy(out, pos);
    return out;
  }

  /**
   * Bytes `record` adds to the message. With `commit`, also adds it; nothing is
   * changed before every field is validated, so a refused record leaves no trace.
   */
  #append(record: KplUserRecord, commit: boolean): number {
    const { partitionKey, explicitHashKey, data } = record;
    if (!(data instanceof Uint8Array)) {
      throw new InvalidKplUserRecordError('data', data, 'must be a Buffer');
    }
    let growth = 0;

    let partitionKeyIndex = this.#partitionKeyIndexes.get(partitionKey);
    const newPartitionKey = partitionKeyIndex === undefined;
    if (partitionKeyIndex === undefined) {
      // Table entries were validated when they were added; only new keys need checking.
      checkPartitionKey(partitionKey);
      partitionKeyIndex = this.#partitionKeyTable.length;
      growth += lengthDelimitedBytes(Buffer.byteLength(partitionKey, 'utf8'));
    }
    let recordBytes = 1 + varintBytes(partitionKeyIndex);

    let explicitHashKeyIndex = NO_INDEX;
    let newExplicitHashKey = false;
    if (explicitHashKey !== undefined) {
      const known = this.#explicitHashKeyIndexes.get(explicitHashKey);
      if (known === undefined) {
        checkExplicitHashKey(explicitHashKey);
        newExplicitHashKey = true;
        explicitHashKeyIndex = this.#explicitHashKeyTable.length;
        // Valid keys are ASCII digits: one byte per character.
        growth += lengthDelimitedBytes(explicitHashKey.length);
      } else {
        explicitHashKeyIndex = known;
      }
      recordBytes += 1 + varintBytes(explicitHashKeyIndex);
    }
    recordBytes += lengthDelimitedBytes(data.length);
    growth += lengthDelimitedBytes(recordBytes);

    if (commit) {
      if (newPartitionKey) {
        this.#partitionKeyIndexes.set(partitionKey, partitionKeyIndex);
        this.#partitionKeyTable.push(Buffer.from(partitionKey, 'utf8'));
      }
      if (newExplicitHashKey) {
        const key = explicitHashKey as string;
        this.#explicitHashKeyIndexes.set(key, explicitHashKeyIndex);
        this.#explicitHashKeyTable.push(Buffer.from(key, 'latin1'));
      }
      this.#partitionKeyIndex.push(partitionKeyIndex);
      this.#explicitHashKeyIndex.push(explicitHashKeyIndex);
      this.#data.push(data);
      this.#recordBytes.push(recordBytes);
    }
    return growth;
  }
}

/** What reading a record's data as a KPL aggregate found. */
export type KplRecordReading =
  /** No magic: ordinary record data. */
  | { kind: 'plain' }
  | { kind: 'aggregated'; records: KplUserRecord[] }
  /** The magic, but too short, a wrong MD5 or a malformed message; `problem` says which. */
  | { kind: 'corrupt'; problem: string };

/**
 * Reads record data as a KPL aggregated record and says why it is not one.
 * User records' `data` are views into `data`, not copies.
 *
 * @example
 * const reading = readKplRecord(record.Data);
 * if (reading.kind === 'corrupt') logger.warn('corrupt aggregate', { problem: reading.problem });
 */
export function readKplRecord(data: Uint8Array): KplRecordReading {
  const buffer = asBuffer(data);
  if (!startsWithMagic(buffer)) return { kind: 'plain' };
  // Like KCL: at least one byte of message between the magic and the digest.
  if (buffer.length <= FRAME_BYTES) {
    return {
      kind: 'corrupt',
      problem: `${buffer.length} bytes is too short (magic, message and MD5 take more than ${FRAME_BYTES})`,
    };
  }
  const messageEnd = buffer.length - DIGEST_BYTES;
  const message = buffer.subarray(KPL_MAGIC.length, messageEnd);
  const digest = buffer.subarray(messageEnd);
  const computed = md5(message);
  if (!computed.equals(digest)) {
    return {
      kind: 'corrupt',
      problem: `MD5 checksum mismatch (stored ${digest.toString('hex')}, computed ${computed.toString('hex')})`,
    };
  }
  try {
    return { kind: 'aggregated', records: decodeAggregatedRecord(message) };
  } catch (error) {
    if (error instanceof MalformedMessageError) {
      return { kind: 'corrupt', problem: `malformed protobuf message: ${error.message}` };
    }
    throw error;
  }
}

/** True when data starts with the magic, is long enough, and the MD5 checks out. */
export function isKplAggregated(data: Uint8Array): boolean {
  const buffer = asBuffer(data);
  if (buffer.length <= FRAME_BYTES || !startsWithMagic(buffer)) return false;
  const messageEnd = buffer.length - DIGEST_BYTES;
  return md5(buffer.subarray(KPL_MAGIC.length, messageEnd)).equals(buffer.subarray(messageEnd));
}

/**
 * The user records of an aggregated record; `undefined` when data is not a valid aggregated
 * record (no magic, bad MD5, malformed protobuf) — KCL then treats it as one plain record.
 * User records' `data` are views into `data`, not copies.
 *
 * @example
 * const userRecords = deaggregateKplRecord(record.Data) ?? [{ partitionKey, data: record.Data }];
 */
export function deaggregateKplRecord(data: Uint8Array): KplUserRecord[] | undefined {
  const reading = readKplRecord(data);
  return reading.kind === 'aggregated' ? reading.records : undefined;
}

/** Thrown inside the decoder only; {@link readKplRecord} turns it into a `corrupt` reading. */
class MalformedMessageError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'MalformedMessageError';
  }
}

function decodeAggregatedRecord(message: Buffer): KplUserRecord[] {
  const partitionKeyTable: string[] = [];
  const explicitHashKeyTable: string[] = [];
  const encodedRecords: EncodedRecord[] = [];
  const reader = new ProtobufReader(message, 0, message.length);
  while (!reader.done) {
    const tag = reader.tag();
    if (tag === TAG_PARTITION_KEY_TABLE) partitionKeyTable.push(reader.string());
    else if (tag === TAG_EXPLICIT_HASH_KEY_TABLE) explicitHashKeyTable.push(reader.string());
    else if (tag === TAG_RECORDS) encodedRecords.push(decodeRecord(reader.embedded()));
    else reader.skip(tag);
  }
  return encodedRecords.map((record, i) => {
    const partitionKey = partitionKeyTable[record.partitionKeyIndex];
    if (partitionKey === undefined) {
      throw new MalformedMessageError(
        `records[${i}].partition_key_index ${record.partitionKeyIndex} is outside the partition key table (${partitionKeyTable.length} entries)`,
      );
    }
    if (record.explicitHashKeyIndex === undefined) return { partitionKey, data: record.data };
    const explicitHashKey = explicitHashKeyTable[record.explicitHashKeyIndex];
    if (explicitHashKey === undefined) {
      throw new MalformedMessageError(
        `records[${i}].explicit_hash_key_index ${record.explicitHashKeyIndex} is outside the explicit hash key table (${explicitHashKeyTable.length} entries)`,
      );
    }
    return { partitionKey, explicitHashKey, data: record.data };
  });
}

interface EncodedRecord {
  partitionKeyIndex: number;
  explicitHashKeyIndex: number | undefined;
  data: Buffer;
}

function decodeRecord(reader: ProtobufReader): EncodedRecord {
  let partitionKeyIndex: number | undefined;
  let explicitHashKeyIndex: number | undefined;
  let data: Buffer | undefined;
  // A field repeated where one is expected: the last one wins, as in every protobuf parser.
  while (!reader.done) {
    const tag = reader.tag();
    if (tag === TAG_PARTITION_KEY_INDEX) partitionKeyIndex = reader.varint();
    else if (tag === TAG_EXPLICIT_HASH_KEY_INDEX) explicitHashKeyIndex = reader.varint();
    else if (tag === TAG_DATA) data = reader.bytes();
    else if (tag === TAG_TAGS) checkTag(reader.embedded());
    else reader.skip(tag);
  }
  // proto2 `required` fields: a parser refuses a message without them.
  if (partitionKeyIndex === undefined) {
    throw new MalformedMessageError('a record has no partition_key_index (required)');
  }
  if (data === undefined) throw new MalformedMessageError('a record has no data (required)');
  return { partitionKeyIndex, explicitHashKeyIndex, data };
}

/** Tags are not exposed (KPL and KCL do not implement them) but must still be well formed. */
function checkTag(reader: ProtobufReader): void {
  let hasKey = false;
  while (!reader.done) {
    const tag = reader.tag();
    if (tag === TAG_TAG_KEY) hasKey = true;
    reader.skip(tag);
  }
  if (!hasKey) throw new MalformedMessageError('a record tag has no key (required)');
}

/** Reads protobuf wire format from `buffer[pos, end)`. */
class ProtobufReader {
  public constructor(
    private readonly buffer: Buffer,
    private pos: number,
    private readonly end: number,
  ) {}

  public get done(): boolean {
    return this.pos >= this.end;
  }

  public tag(): number {
    const tag = this.varint();
    if (tag < 8) throw new MalformedMessageError(`invalid tag ${tag} at byte ${this.pos}`);
    return tag;
  }

  /**
   * A varint as a number. Values above 2^53 lose precision, which is harmless
   * here: they are only ever compared with table sizes and lengths.
   */
  public varint(): number {
    const first = this.#byte();
    if (first < 0x80) return first;
    let value = first & 0x7f;
    let scale = 0x80;
    // uint64 takes at most 10 bytes.
    for (let i = 1; i < 10; i++) {
      const byte = this.#byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
    throw new MalformedMessageError(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  public bytes(): Buffer {
    const start = this.#lengthDelimited();
    return this.buffer.subarray(start, this.pos);
  }

  public string(): string {
    const start = this.#lengthDelimited();
    return this.buffer.toString('utf8', start, this.pos);
  }

  /** A reader over the embedded message that follows; this reader moves past it. */
  public embedded(): ProtobufReader {
    const start = this.#lengthDelimited();
    return new ProtobufReader(this.buffer, start, this.pos);
  }

  /** Skips the value of an unknown field, as protobuf parsers do. */
  public skip(tag: number): void {
    const wireType = tag % 8;
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.#advance(8);
        return;
      case WIRE_LENGTH_DELIMITED:
        this.#lengthDelimited();
        return;
      case WIRE_FIXED32:
        this.#advance(4);
        return;
      case WIRE_START_GROUP: {
        const endTag = tag - WIRE_START_GROUP + WIRE_END_GROUP;
        for (let next = this.tag(); next !== endTag; next = this.tag()) this.skip(next);
        return;
      }
      default:
        throw new MalformedMessageError(`unexpected wire type ${wireType} at byte ${this.pos}`);
    }
  }

  /** Moves past a length-prefixed value and returns where its content starts. */
  #lengthDelimited(): number {
    const length = this.varint();
    if (length > this.end - this.pos) {
      throw new MalformedMessageError(
        `field of ${length} bytes at byte ${this.pos} runs past the end of its message (${this.end - this.pos} bytes left)`,
      );
    }
    const start = this.pos;
    this.pos += length;
    return start;
  }

  #byte(): number {
    if (this.pos >= this.end) {
      throw new MalformedMessageError(`message ends inside a varint at byte ${this.pos}`);
    }
    return this.buffer[this.pos++] as number;
  }

  #advance(bytes: number): void {
    if (bytes > this.end - this.pos) {
      throw new MalformedMessageError(`fixed-width field at byte ${this.pos} runs past the end`);
    }
    this.pos += bytes;
  }
}

function checkPartitionKey(partitionKey: string): void {
  if (typeof partitionKey !== 'string' || partitionKey.length === 0) {
    throw new InvalidKplUserRecordError('partitionKey', partitionKey, 'must be a non-empty string');
  }
  const max = KINESIS_LIMITS.maxPartitionKeyLength;
  // Kinesis counts Unicode characters; a string of up to `max` UTF-16 units is always short enough.
  if (partitionKey.length > max && [...partitionKey].length > max) {
    throw new InvalidKplUserRecordError(
      'partitionKey',
      partitionKey,
      `must be at most ${max} Unicode characters (has ${[...partitionKey].length})`,
    );
  }
}

function checkExplicitHashKey(explicitHashKey: string): void {
  if (
    typeof explicitHashKey !== 'string' ||
    !EXPLICIT_HASH_KEY_PATTERN.test(explicitHashKey) ||
    BigInt(explicitHashKey) > MAX_EXPLICIT_HASH_KEY
  ) {
    throw new InvalidKplUserRecordError(
      'explicitHashKey',
      explicitHashKey,
      'must be a decimal number from 0 to 2^128 - 1 without sign or leading zeros',
    );
  }
}

function startsWithMagic(buffer: Buffer): boolean {
  return (
    buffer.length >= KPL_MAGIC.length &&
    buffer[0] === KPL_MAGIC[0] &&
    buffer[1] === KPL_MAGIC[1] &&
    buffer[2] === KPL_MAGIC[2] &&
    buffer[3] === KPL_MAGIC[3]
  );
}

function md5(bytes: Uint8Array): Buffer {
  return createHash('md5').update(bytes).digest();
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length);
}

/** Bytes of a varint holding `value` (a non-negative integer up to 2^53). */
function varintBytes(value: number): number {
  let bytes = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    bytes++;
  }
  return bytes;
}

/** Bytes of a length-delimited field with a one-byte tag and `length` bytes of content. */
function lengthDelimitedBytes(length: number): number {
  return 1 + varintBytes(length) + length;
}

function writeVarint(out: Buffer, pos: number, value: number): number {
  while (value >= 0x80) {
    out[pos++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[pos++] = value;
  return pos;
}

function writeLengthDelimited(out: Buffer, pos: number, tag: number, bytes: Uint8Array): number {
  out[pos++] = tag;
  pos = writeVarint(out, pos, bytes.length);
  out.set(bytes, pos);
  return pos + bytes.length;
}
