import { OnFailureRecordError } from './errors.js';
import type { FailedRecord, KinesisBatchInfo, OnFailureRecord } from './OnFailureRecord.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Parses an on-failure invocation record for a Kinesis event source, in the
 * shape Lambda documents (`requestContext`, `responseContext`, `version`,
 * `timestamp`, `KinesisBatchInfo`) and, for S3 destinations, `payload`: the
 * whole invocation event as a JSON string (an object is accepted too). The
 * local event source mapping writes the same shape.
 *
 * Checks that the payload's records are the batch `KinesisBatchInfo` names
 * (same count, same first and last sequence number), so a payload that does
 * not belong to its metadata is never put back.
 *
 * @param text the object body
 * @param key the object key, for error messages
 * @throws {OnFailureRecordError} naming the field and the value that is wrong
 */
export function parseOnFailureRecord(text: string, key: string): OnFailureRecord {
  const fail = (field: string, detail: string) => new OnFailureRecordError(key, field, detail);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw fail('body', `is not JSON (${(error as Error).message})`);
  }
  if (!isObject(body)) throw fail('body', `must be a JSON object (given ${kind(body)})`);
  const info = body.KinesisBatchInfo;
  if (!isObject(info)) {
    throw fail(
      'KinesisBatchInfo',
      `must be an object (given ${kind(info)}): not a Kinesis on-failure record`,
    );
  }
  const text_ = (field: string): string => {
    const value = info[field];
    if (typeof value !== 'string' || value.length === 0) {
      throw fail(`KinesisBatchInfo.${field}`, `must be a non-empty string (given ${show(value)})`);
    }
    return value;
  };
  const batchSize = info.batchSize;
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1) {
    throw fail(
      'KinesisBatchInfo.batchSize',
      `must be a whole number above 0 (given ${show(batchSize)})`,
    );
  }
  const batchInfo: KinesisBatchInfo = {
    shardId: text_('shardId'),
    startSequenceNumber: text_('startSequenceNumber'),
    endSequenceNumber: text_('endSequenceNumber'),
    batchSize,
    streamArn: text_('streamArn'),
    ...optionalText(info, 'approximateArrivalOfFirstRecord'),
    ...optionalText(info, 'approximateArrivalOfLastRecord'),
  };
  const requestContext = isObject(body.requestContext) ? body.requestContext : {};
  const condition =
    typeof requestContext.condition === 'string' ? requestContext.condition : undefined;
  const timestamp = typeof body.timestamp === 'string' ? body.timestamp : undefined;
  if (body.payload === undefined || body.payload === null) {
    return { condition, timestamp, batchInfo, records: undefined };
  }
  const records = parsePayload(body.payload, fail);
  if (records.length !== batchInfo.batchSize) {
    throw fail(
      'payload.Records',
      `holds ${records.length} records, KinesisBatchInfo.batchSize says ${batchInfo.batchSize}`,
    );
  }
  const first = records[0]?.sequenceNumber;
  const last = records.at(-1)?.sequenceNumber;
  if (first !== batchInfo.startSequenceNumber || last !== batchInfo.endSequenceNumber) {
    throw fail(
      'payload.Records',
      `run from ${first} to ${last}, KinesisBatchInfo says ${batchInfo.startSequenceNumber} to ${batchInfo.endSequenceNumber}`,
    );
  }
  return { condition, timestamp, batchInfo, records };
}

function parsePayload(
  payload: unknown,
  fail: (field: string, detail: string) => OnFailureRecordError,
): FailedRecord[] {
  let event: unknown = payload;
  if (typeof payload === 'string') {
    try {
      event = JSON.parse(payload);
    } catch (error) {
      throw fail('payload', `is not a JSON invocation event (${(error as Error).message})`);
    }
  }
  if (!isObject(event) || !Array.isArray(event.Records) || event.Records.length === 0) {
    throw fail(
      'payload.Records',
      `must be a non-empty array (given ${show(isObject(event) ? event.Records : event)})`,
    );
  }
  return event.Records.map((record: unknown, i: number): FailedRecord => {
    const kinesis = isObject(record) ? record.kinesis : undefined;
    if (!isObject(kinesis))
      throw fail(`payload.Records[${i}].kinesis`, `must be an object (given ${show(kinesis)})`);
    const { partitionKey, sequenceNumber, data, approximateArrivalTimestamp } = kinesis;
    if (typeof partitionKey !== 'string' || partitionKey.length === 0) {
      throw fail(
        `payload.Records[${i}].kinesis.partitionKey`,
        `must be a non-empty string (given ${show(partitionKey)})`,
      );
    }
    if (typeof sequenceNumber !== 'string' || sequenceNumber.length === 0) {
      throw fail(
        `payload.Records[${i}].kinesis.sequenceNumber`,
        `must be a non-empty string (given ${show(sequenceNumber)})`,
      );
    }
    // Node's base64 decoder skips bad characters silently; check first so damage is not put back.
    if (
      typeof data !== 'string' ||
      data.length === 0 ||
      data.length % 4 !== 0 ||
      !BASE64.test(data)
    ) {
      throw fail(
        `payload.Records[${i}].kinesis.data`,
        `must be non-empty base64 (given ${show(data)})`,
      );
    }
    const arrival =
      typeof approximateArrivalTimestamp === 'number' &&
      Number.isFinite(approximateArrivalTimestamp)
        ? { arrivalMs: Math.round(approximateArrivalTimestamp * 1_000) }
        : {};
    return { partitionKey, sequenceNumber, data: Buffer.from(data, 'base64'), ...arrival };
  });
}

function optionalText(source: Record<string, unknown>, field: string): Record<string, string> {
  const value = source[field];
  return typeof value === 'string' ? { [field]: value } : {};
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kind(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/** A value for an error message, cut short: bodies can be megabytes. */
function show(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
