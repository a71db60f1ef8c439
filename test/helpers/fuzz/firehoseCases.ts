import type { FuzzCase, RawRequest, RawResponse } from './FuzzCase.js';
import { jsonBodyOf } from './FuzzCase.js';
import type { Fuzzer } from './Fuzzer.js';
import { goodEvent } from './ingestCases.js';
import { type FuzzValue, JsonEntries, RawJson, toJsonText, withMember } from './jsonText.js';
import { deepNesting, PROTOTYPE_KEYS, weirdValue } from './weirdValues.js';

/** The `X-Amz-Target` prefix of the Firehose API. */
export const FIREHOSE_TARGET_PREFIX = 'Firehose_20150804.';
const OPERATIONS = [
  'PutRecord',
  'PutRecordBatch',
  'DescribeDeliveryStream',
  'ListDeliveryStreams',
] as const;
type Operation = (typeof OPERATIONS)[number];

/** A Firehose call as the SDK sends it. */
export function firehoseRequest(
  operation: string,
  body: string | Buffer,
  contentType = 'application/x-amz-json-1.1',
): RawRequest {
  return {
    method: 'POST',
    path: '/',
    headers: [
      ['Content-Type', contentType],
      ['X-Amz-Target', `${FIREHOSE_TARGET_PREFIX}${operation}`],
    ],
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
  };
}

/** A record's `Data`: an event line, base64 as the API carries blobs. */
function recordData(fuzz: Fuzzer, nowMs: number): string {
  return Buffer.from(`${JSON.stringify(goodEvent(fuzz, nowMs))}\n`).toString('base64');
}

/** Valid input of `operation` against the delivery stream `streamName`. */
function validInput(
  fuzz: Fuzzer,
  operation: Operation,
  streamName: string,
  nowMs: number,
): Record<string, unknown> {
  switch (operation) {
    case 'PutRecord':
      return { DeliveryStreamName: streamName, Record: { Data: recordData(fuzz, nowMs) } };
    case 'PutRecordBatch':
      return {
        DeliveryStreamName: streamName,
        Records: Array.from({ length: fuzz.int(1, 4) }, () => ({ Data: recordData(fuzz, nowMs) })),
      };
    case 'DescribeDeliveryStream':
      return { DeliveryStreamName: streamName };
    case 'ListDeliveryStreams':
      return fuzz.chance(0.5) ? {} : { Limit: fuzz.int(1, 10), DeliveryStreamType: 'DirectPut' };
  }
}

/** The members of an operation's input a mutation can reach, as paths. */
const MEMBERS: Record<Operation, readonly string[]> = {
  PutRecord: ['DeliveryStreamName', 'Record', 'Record.Data'],
  PutRecordBatch: ['DeliveryStreamName', 'Records', 'Records.0', 'Records.0.Data'],
  DescribeDeliveryStream: ['DeliveryStreamName'],
  ListDeliveryStreams: ['Limit', 'DeliveryStreamType', 'ExclusiveStartDeliveryStreamName'],
};

/** Values a member of the Firehose API should never hold. */
function oddMemberValue(
  fuzz: Fuzzer,
  member: string,
): { value: FuzzValue; validJson: boolean; kind: string } {
  const specific: FuzzValue[] = member.endsWith('Data')
    ? ['', 'not base64!', 'AAA', 'AA=A', '====', 'QQ', '\ud800', 'A'.repeat(1_400_000), 12, []]
    : member.endsWith('Name')
      ? [
          '',
          'no such stream',
          'x'.repeat(65),
          'unknown-stream',
          '\u0000',
          '__proto__',
          'constructor',
          'toString',
          1,
        ]
      : member === 'Limit'
        ? [0, -1, 10_001, 1.5, new RawJson('1e999'), new RawJson('-0'), '10', null, 1e308]
        : member === 'Records'
          ? [[], {}, 'x', Array.from({ length: 501 }, () => ({ Data: 'AA==' }))]
          : ['KinesisStreamAsSource', 'directput', '', 7];
  if (fuzz.chance(0.5)) return { value: fuzz.pick(specific), validJson: true, kind: 'specific' };
  const weird = weirdValue(fuzz);
  return { value: weird.value, validJson: weird.validJson, kind: weird.kind };
}

function setPath(
  input: FuzzValue,
  path: readonly string[],
  value: FuzzValue | undefined,
): FuzzValue {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  if (Array.isArray(input)) {
    const copy: FuzzValue[] = [...input];
    const index = Number(head);
    if (value === undefined && rest.length === 0) copy.splice(index, 1);
    else copy[index] = setPath(input[index], rest, value);
    return copy;
  }
  const object = input as Record<string, unknown>;
  if (value === undefined && rest.length === 0) {
    return Object.fromEntries(Object.entries(object).filter(([name]) => name !== head));
  }
  return withMember(object, head, setPath(object[head], rest, value));
}

/**
 * The problems of a Firehose answer: 5xx (but a 503 with `Retry-After`), an
 * error without `__type` and `x-amzn-ErrorType`, or whose message does not
 * name the member at fault (`mentions`, compared without case, as the API
 * writes `deliveryStreamName` for `DeliveryStreamName`).
 */
function checkFirehoseAnswer(response: RawResponse, mentions: string | undefined): string[] {
  if (response.status >= 500) {
    return response.status === 503 && response.headers['retry-after'] !== undefined
      ? []
      : [`status ${response.status}: ${response.body.toString('utf8').slice(0, 300)}`];
  }
  const body = jsonBodyOf(response) as Record<string, unknown> | undefined;
  if (typeof body !== 'object' || body === null)
    return [`status ${response.status} without a JSON body`];
  if (response.status < 400) return [];
  const type = body.__type;
  const message = body.message;
  if (typeof type !== 'string' || response.headers['x-amzn-errortype'] !== type) {
    return [`${response.status} without a matching __type and x-amzn-ErrorType`];
  }
  if (typeof message !== 'string' || message.length === 0) return [`${type} without a message`];
  // Errors about the stream itself or the call's total size name those instead of a member.
  if (type === 'ResourceNotFoundException' || type === 'InvalidArgumentException') return [];
  if (mentions !== undefined && !message.toLowerCase().includes(mentions.toLowerCase())) {
    return [`${type} message does not name ${mentions}: ${JSON.stringify(message.slice(0, 200))}`];
  }
  return [];
}

/** The member name a message about `path` should hold: `records` for `Records.0.Data`'s list, `data` for its blob. */
function memberWord(path: string): string {
  const parts = path.split('.').filter((part) => !/^\d+$/.test(part));
  return parts[parts.length - 1] ?? path;
}

/**
 * A Firehose call, valid but for one thing: a member's value (wrong types,
 * bad base64, names too long, absurd limits, deep nesting), a missing
 * member, a member given twice, keys that reach `Object.prototype`, or the
 * `X-Amz-Target` and content type.
 */
export function firehoseCase(fuzz: Fuzzer, streamName: string, nowMs: number): FuzzCase {
  const operation = fuzz.pick(OPERATIONS);
  const input = validInput(fuzz, operation, streamName, nowMs);
  const kind = fuzz.pick([
    'value',
    'value',
    'value',
    'remove',
    'duplicate',
    'extra',
    'target',
    'content_type',
    'whole',
  ]);
  let body: FuzzValue = input;
  let target = operation as string;
  let contentType = 'application/x-amz-json-1.1';
  let mutation: string;
  let mentions: string | undefined;
  const path = fuzz.pick(MEMBERS[operation]);
  switch (kind) {
    case 'value': {
      const odd = oddMemberValue(fuzz, path);
      body = setPath(input, path.split('.'), odd.value);
      mutation = `${path} := ${odd.kind}`;
      mentions = odd.validJson ? memberWord(path) : undefined;
      break;
    }
    case 'remove':
      body = setPath(input, path.split('.'), undefined);
      mutation = `${path} removed`;
      mentions = memberWord(path);
      break;
    case 'duplicate': {
      const top = path.split('.')[0] as string;
      const odd = oddMemberValue(fuzz, top);
      body = new JsonEntries([...Object.entries(input), [top, odd.value]]);
      mutation = `${top} twice, then ${odd.kind}`;
      mentions = odd.validJson ? memberWord(top) : undefined;
      break;
    }
    case 'extra': {
      const key = fuzz.pick([...PROTOTYPE_KEYS, 'Extra', 'deliveryStreamName']);
      body = withMember(
        input,
        key,
        fuzz.pick<FuzzValue>([{ polluted: true }, null, 1, deepNesting(fuzz, 1_000)]),
      );
      mutation = `extra member ${key}`;
      break;
    }
    case 'target':
      target = fuzz.pick([
        'CreateDeliveryStream',
        '__proto__',
        'constructor',
        'toString',
        'hasOwnProperty',
        '',
        'putrecord',
        'PutRecord ',
        `${operation}\t`,
      ]);
      mutation = `X-Amz-Target ${JSON.stringify(FIREHOSE_TARGET_PREFIX + target)}`;
      // Node trims header values: `PutRecord ` is PutRecord, and the body decides the answer.
      mentions =
        (OPERATIONS as readonly string[]).includes(target.trim()) || target.trim() === ''
          ? undefined
          : target.trim();
      break;
    case 'content_type':
      contentType = fuzz.pick([
        'application/json',
        'text/plain',
        '',
        'application/x-amz-json-1.0',
        'x',
      ]);
      mutation = `Content-Type ${JSON.stringify(contentType)}`;
      break;
    default: {
      const whole = fuzz.pick<FuzzValue>([[], null, 'x', 0, true, [input], deepNesting(fuzz)]);
      body = whole;
      mutation = `input := ${toJsonText(whole).slice(0, 40)}`;
    }
  }
  return {
    category: 'firehose/structured',
    mutation: `${operation}: ${mutation}`,
    target: 'firehose',
    request: firehoseRequest(target, toJsonText(body), contentType),
    check: (response) => checkFirehoseAnswer(response, mentions),
  };
}

export { checkFirehoseAnswer };
