import { createRequire } from 'node:module';
import type { KplUserRecord } from '../../core/codec/kplCodec.js';

/*
 * Typed access to the independent `aws-kinesis-agg` package (awslabs/kinesis-aggregation),
 * the reference the KPL codec is checked against. Its bundled typings import `aws-sdk` v2,
 * which is not installed, so the parts used here are typed by hand.
 */

interface ReferenceUserRecord {
  partitionKey: string;
  explicitPartitionKey?: string;
  /** Base64. */
  data: string;
}

interface ReferenceRecordAggregator {
  addUserRecord(record: { partitionKey: string; explicitHashKey?: string; data: Buffer }): void;
  build(): { partitionKey: string; data: Buffer } | undefined;
}

interface ReferenceLibrary {
  RecordAggregator: new () => ReferenceRecordAggregator;
  deaggregateSync(
    kinesisRecord: { data: string; partitionKey: string; sequenceNumber: string },
    computeChecksums: boolean,
    afterRecordCallback: (
      error: Error | null | undefined,
      userRecords?: ReferenceUserRecord[],
    ) => void,
  ): void;
}

/** protobufjs message as decoded by the library's own schema; absent optional fields are not own properties. */
interface ProtobufjsRecord {
  partition_key_index: number | { toNumber(): number };
  explicit_hash_key_index?: number | { toNumber(): number };
  data: Uint8Array;
}

interface ReferenceCommon {
  AggregatedRecord: {
    decode(bytes: Uint8Array): {
      partition_key_table: string[];
      explicit_hash_key_table: string[];
      records: ProtobufjsRecord[];
    };
  };
}

const require = createRequire(import.meta.url);
const library = require('aws-kinesis-agg') as ReferenceLibrary;
const common = require('aws-kinesis-agg/lib/common.js') as ReferenceCommon;

/** Aggregates user records with `aws-kinesis-agg`'s `RecordAggregator`; returns the record data. */
export function aggregateWithReference(records: readonly KplUserRecord[]): Buffer {
  const aggregator = new library.RecordAggregator();
  for (const record of records) {
    aggregator.addUserRecord(
      record.explicitHashKey === undefined
        ? { partitionKey: record.partitionKey, data: record.data }
        : {
            partitionKey: record.partitionKey,
            explicitHashKey: record.explicitHashKey,
            data: record.data,
          },
    );
  }
  const built = aggregator.build();
  if (!built) throw new Error('aws-kinesis-agg built nothing');
  return built.data;
}

/**
 * De-aggregates record data with `aws-kinesis-agg`, MD5 checked. It reports the first explicit
 * hash key table entry for user records without one (protobufjs' default for an absent
 * optional field), so callers compare `explicitHashKey` only where the table is empty or
 * every user record has one.
 */
export function deaggregateWithReference(data: Buffer): KplUserRecord[] {
  let result: KplUserRecord[] | undefined;
  let failure: Error | undefined;
  library.deaggregateSync(
    { data: data.toString('base64'), partitionKey: 'outer', sequenceNumber: '1' },
    true,
    (error, userRecords) => {
      if (error) failure = error;
      else
        result = (userRecords ?? []).map((userRecord) => ({
          partitionKey: userRecord.partitionKey,
          ...(userRecord.explicitPartitionKey === undefined
            ? {}
            : { explicitHashKey: userRecord.explicitPartitionKey }),
          data: Buffer.from(userRecord.data, 'base64'),
        }));
    },
  );
  if (failure) throw failure;
  if (!result) throw new Error('aws-kinesis-agg did not call back');
  return result;
}

/** An aggregated record as protobufjs decodes it with the library's own schema. */
export interface ProtobufjsAggregate {
  partitionKeyTable: string[];
  explicitHashKeyTable: string[];
  /** User records, with `explicitHashKey` only where the record has the optional index. */
  records: KplUserRecord[];
}

/**
 * Decodes the protobuf message of an aggregated record (between magic and MD5) with
 * protobufjs and the library's schema, telling absent optional fields apart.
 */
export function decodeWithProtobufjs(data: Buffer): ProtobufjsAggregate {
  const message = common.AggregatedRecord.decode(data.subarray(4, data.length - 16));
  const toNumber = (value: number | { toNumber(): number }) =>
    typeof value === 'number' ? value : value.toNumber();
  return {
    partitionKeyTable: message.partition_key_table,
    explicitHashKeyTable: message.explicit_hash_key_table,
    records: message.records.map((record) => {
      const partitionKey = message.partition_key_table[toNumber(record.partition_key_index)];
      if (partitionKey === undefined) throw new Error('partition key index out of range');
      const data = Buffer.from(record.data);
      if (!Object.hasOwn(record, 'explicit_hash_key_index')) return { partitionKey, data };
      const explicitHashKey =
        message.explicit_hash_key_table[toNumber(record.explicit_hash_key_index ?? 0)];
      return { partitionKey, explicitHashKey, data };
    }),
  };
}
