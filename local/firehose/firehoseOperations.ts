import { FIREHOSE_LIMITS } from '../../core/codec/limits.js';
import type { DirectPutDeliveryStream } from './DirectPutDeliveryStream.js';
import { FirehoseApiError } from './FirehoseApiError.js';

/** What an operation works on. */
export interface FirehoseOperationContext {
  /** Delivery streams by name. */
  streams: ReadonlyMap<string, DirectPutDeliveryStream>;
  accountId: string;
}

/** One API operation: parsed JSON input in, JSON output back, or a {@link FirehoseApiError}. */
export type FirehoseOperation = (input: unknown, context: FirehoseOperationContext) => unknown;

/** Firehose's constraint on delivery stream names. */
const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DELIVERY_STREAM_TYPES = new Set([
  'DirectPut',
  'KinesisStreamAsSource',
  'MSKAsSource',
  'DatabaseAsSource',
]);

/**
 * The operations the local endpoint serves, by the name after
 * `Firehose_20150804.` in `X-Amz-Target`. Input checks follow the API: the
 * modelled constraints (at most 500 records, at most 1,024,000 bytes of data
 * per record, names of 1-64 characters) answer `ValidationException` listing
 * every violation; more than 4 MiB of record data in one call answers
 * `InvalidArgumentException` "Records size exceeds 4 MB limit"; an unknown
 * delivery stream answers `ResourceNotFoundException`. A call is refused
 * whole: no record of a refused call is stored.
 */
export const firehoseOperations: Readonly<Record<string, FirehoseOperation>> = {
  PutRecord: (input, context) => {
    const request = asObject(input);
    const problems: string[] = [];
    const name = checkStreamName(request.DeliveryStreamName, problems);
    const record = request.Record;
    let data: Buffer | undefined;
    if (record === undefined || record === null) {
      problems.push(`Value null at 'record' failed to satisfy constraint: Member must not be null`);
    } else {
      data = decodeData(asObject(record, 'record').Data, 'record.data', problems);
    }
    throwIfInvalid(problems);
    const stream = findStream(name as string, context);
    const [recordId] = stream.accept([data as Buffer]);
    return { RecordId: recordId, Encrypted: false };
  },

  PutRecordBatch: (input, context) => {
    const request = asObject(input);
    const problems: string[] = [];
    const name = checkStreamName(request.DeliveryStreamName, problems);
    const records = request.Records;
    const decoded: Buffer[] = [];
    if (records === undefined || records === null) {
      problems.push(
        `Value null at 'records' failed to satisfy constraint: Member must not be null`,
      );
    } else if (!Array.isArray(records)) {
      throw new FirehoseApiError('SerializationException', 'Records must be a list');
    } else {
      if (records.length < 1) {
        problems.push(
          `Value at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1`,
        );
      }
      if (records.length > FIREHOSE_LIMITS.maxRecordsPerPutRecordBatch) {
        problems.push(
          `Value of ${records.length} records at 'records' failed to satisfy constraint: Member must have length less than or equal to ${FIREHOSE_LIMITS.maxRecordsPerPutRecordBatch}`,
        );
      }
      records.forEach((record: unknown, index) => {
        // The API numbers list members from 1.
        const member = `records.${index + 1}.member`;
        const data = decodeData(asObject(record, member).Data, `${member}.data`, problems);
        if (data) decoded.push(data);
      });
    }
    throwIfInvalid(problems);
    const stream = findStream(name as string, context);
    const total = decoded.reduce((sum, data) => sum + data.length, 0);
    if (total > FIREHOSE_LIMITS.maxBytesPerPutRecordBatch) {
      throw new FirehoseApiError('InvalidArgumentException', 'Records size exceeds 4 MB limit');
    }
    const ids = stream.accept(decoded);
    return {
      FailedPutCount: 0,
      Encrypted: false,
      RequestResponses: ids.map((RecordId) => ({ RecordId })),
    };
  },

  DescribeDeliveryStream: (input, context) => {
    const request = asObject(input);
    const problems: string[] = [];
    const name = checkStreamName(request.DeliveryStreamName, problems);
    throwIfInvalid(problems);
    return { DeliveryStreamDescription: findStream(name as string, context).describe() };
  },

  ListDeliveryStreams: (input, context) => {
    const request = asObject(input ?? {});
    const problems: string[] = [];
    const limit = request.Limit ?? 10;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      problems.push(
        `Value '${shown(limit)}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 10000`,
      );
    }
    const type = request.DeliveryStreamType;
    if (type !== undefined && !(typeof type === 'string' && DELIVERY_STREAM_TYPES.has(type))) {
      problems.push(
        `Value '${shown(type)}' at 'deliveryStreamType' failed to satisfy constraint: Member must satisfy enum value set: [${[...DELIVERY_STREAM_TYPES].join(', ')}]`,
      );
    }
    const after = request.ExclusiveStartDeliveryStreamName;
    if (after !== undefined) checkStreamName(after, problems, 'exclusiveStartDeliveryStreamName');
    throwIfInvalid(problems);
    // Every local stream is direct PUT; the list is in name order, as Firehose pages it.
    const names = [...context.streams.keys()]
      .filter(() => type === undefined || type === 'DirectPut')
      .filter((name) => typeof after !== 'string' || name > after)
      .sort();
    const page = names.slice(0, limit as number);
    return { DeliveryStreamNames: page, HasMoreDeliveryStreams: names.length > page.length };
  },
};

/**
 * `value` as a structure; anything else is refused naming `member`, so the
 * caller learns which part of the call has the wrong shape.
 */
function asObject(value: unknown, member = 'the request body'): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FirehoseApiError(
      'SerializationException',
      `${member} must be a structure (a JSON object); given ${kindOf(value)}`,
    );
  }
  return value as Record<string, unknown>;
}

/** What a JSON value is, for messages: `a string`, `an array`, `null`, ... */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * A member's value as a message shows it: scalars as they are, arrays and
 * objects by kind. `String()` of a deeply nested array recurses through
 * every level and would overflow the stack (an `InternalFailure`).
 */
function shown(value: unknown): string {
  return typeof value === 'object' && value !== null ? kindOf(value) : String(value);
}

function checkStreamName(
  value: unknown,
  problems: string[],
  member = 'deliveryStreamName',
): string | undefined {
  if (value === undefined || value === null) {
    problems.push(
      `Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new FirehoseApiError('SerializationException', `${member} must be a string`);
  }
  if (!STREAM_NAME.test(value)) {
    problems.push(
      `Value '${value}' at '${member}' failed to satisfy constraint: Member must have length between 1 and 64 and satisfy regular expression pattern: [a-zA-Z0-9_.-]+`,
    );
  }
  return value;
}

/** Decodes a blob member (base64 on the wire) and checks the record size limit on the decoded bytes. */
function decodeData(value: unknown, member: string, problems: string[]): Buffer | undefined {
  if (value === undefined || value === null) {
    problems.push(
      `Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
    return undefined;
  }
  if (typeof value !== 'string' || !BASE64.test(value)) {
    throw new FirehoseApiError('SerializationException', `${member} is not valid base64`);
  }
  const data = Buffer.from(value, 'base64');
  if (data.length > FIREHOSE_LIMITS.maxRecordBytes) {
    problems.push(
      `Value of ${data.length} bytes at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${FIREHOSE_LIMITS.maxRecordBytes}`,
    );
  }
  return data;
}

function throwIfInvalid(problems: string[]): void {
  if (problems.length === 0) return;
  const count =
    problems.length === 1 ? '1 validation error' : `${problems.length} validation errors`;
  throw new FirehoseApiError('ValidationException', `${count} detected: ${problems.join('; ')}`);
}

function findStream(name: string, context: FirehoseOperationContext): DirectPutDeliveryStream {
  const stream = context.streams.get(name);
  if (!stream) {
    throw new FirehoseApiError(
      'ResourceNotFoundException',
      `Firehose ${name} under account ${context.accountId} not found.`,
    );
  }
  return stream;
}
