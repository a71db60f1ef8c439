import { type FuzzCase, jsonBodyOf, type RawRequest, type RawResponse } from './FuzzCase.js';
import type { Fuzzer } from './Fuzzer.js';
import { checkFirehoseAnswer, firehoseRequest } from './firehoseCases.js';
import { checkIngest, goodEvent, type IngestFuzzLimits, post } from './ingestCases.js';

/** Byte sequences that are not UTF-8: a stray continuation, overlong forms, an encoded surrogate, a cut sequence. */
const INVALID_UTF8: readonly Buffer[] = [
  Buffer.from([0xff]),
  Buffer.from([0x80]),
  Buffer.from([0xc0, 0x80]),
  Buffer.from([0xe0, 0x80, 0x80]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
  Buffer.from([0xfe, 0xfe, 0xff]),
];

/** Headers a client may send with any value; the ones that frame the message are left out. */
const FREE_HEADERS = [
  'Accept',
  'Accept-Encoding',
  'Accept-Language',
  'Authorization',
  'Cache-Control',
  'Content-Encoding',
  'Content-Language',
  'Cookie',
  'If-None-Match',
  'Range',
  'Referer',
  'User-Agent',
  'X-Amz-Date',
  'X-Amz-Security-Token',
  'X-Forwarded-For',
  'X-Request-Id',
] as const;

/** A header value of any bytes HTTP lets through: visible ASCII, spaces, tabs and obs-text (0x80-0xFF). */
function headerValue(fuzz: Fuzzer): string {
  // Three values of at most 4,000 bytes stay under Node's 16 KiB limit on a request head.
  const length = fuzz.pick([0, 1, 8, 64, 1_000, 4_000]);
  let value = '';
  for (let i = 0; i < length; i++) {
    value += String.fromCharCode(
      fuzz.chance(0.8) ? fuzz.int(0x21, 0x7e) : fuzz.pick([0x20, 0x09, fuzz.int(0x80, 0xff)]),
    );
  }
  // Leading and trailing whitespace is no part of a field value.
  return value.trim();
}

/** A valid body with one invalid UTF-8 sequence inside a string. */
function withInvalidUtf8(fuzz: Fuzzer, text: string): Buffer {
  const quotes = [...text.matchAll(/"/g)].map((match) => match.index);
  const at = (fuzz.pick(quotes) ?? 0) + 1;
  return Buffer.concat([
    Buffer.from(text.slice(0, at), 'utf8'),
    fuzz.pick(INVALID_UTF8),
    Buffer.from(text.slice(at), 'utf8'),
  ]);
}

/**
 * A request wrong at the byte level, to `POST /events` or the Firehose
 * endpoint: random bytes, JSON cut short, invalid UTF-8, random header
 * values.
 */
export function byteCase(
  fuzz: Fuzzer,
  limits: IngestFuzzLimits,
  streamName: string,
  nowMs: number,
): FuzzCase {
  const kind = fuzz.pick(['random_bytes', 'truncated', 'invalid_utf8', 'header_values']);
  const toFirehose = fuzz.chance(0.4);
  const events = Array.from({ length: fuzz.int(1, 3) }, () => goodEvent(fuzz, nowMs));
  const valid = toFirehose
    ? JSON.stringify({
        DeliveryStreamName: streamName,
        Records: events.map((event) => ({
          Data: Buffer.from(JSON.stringify(event)).toString('base64'),
        })),
      })
    : JSON.stringify(events);
  let body: Buffer;
  let mutation: string;
  const headers: [string, string][] = [];
  switch (kind) {
    case 'random_bytes':
      body = fuzz.bytes(fuzz.pick([1, 2, 16, 256, 4_096]));
      mutation = `${body.length} random bytes`;
      break;
    case 'truncated': {
      const cut = fuzz.int(0, valid.length - 1);
      body = Buffer.from(valid.slice(0, cut), 'utf8');
      mutation = `JSON cut at ${cut} of ${valid.length}`;
      break;
    }
    case 'invalid_utf8':
      body = withInvalidUtf8(fuzz, valid);
      mutation = 'invalid UTF-8 in a string';
      break;
    default: {
      body = Buffer.from(valid, 'utf8');
      for (let i = fuzz.int(1, 3); i > 0; i--) {
        headers.push([
          fuzz.chance(0.3)
            ? toFirehose
              ? 'X-Amz-Target'
              : 'Content-Type'
            : fuzz.pick(FREE_HEADERS),
          headerValue(fuzz),
        ]);
      }
      mutation = `headers ${headers.map(([name]) => name).join(', ')}`;
    }
  }
  const base: RawRequest = toFirehose
    ? firehoseRequest('PutRecordBatch', body)
    : post(limits.path, body);
  // A header given here replaces the request's own of that name.
  const replaced = new Set(headers.map(([name]) => name.toLowerCase()));
  const request: RawRequest = {
    ...base,
    headers: [...base.headers.filter(([name]) => !replaced.has(name.toLowerCase())), ...headers],
  };
  return {
    category: `${toFirehose ? 'firehose' : 'ingest'}/bytes`,
    mutation,
    target: toFirehose ? 'firehose' : 'http',
    request,
    check: (response) =>
      toFirehose ? checkFirehoseAnswer(response, undefined) : checkIngest(response),
  };
}

/** Firehose reads at most 8 MiB of a call's body (`MAX_BODY_BYTES` of `LocalFirehose`). */
export const FIREHOSE_MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * Bodies at and around each server's size limit: valid JSON padded with
 * spaces to one byte under, at and over the limit, a long string element
 * next to a valid event, and a `Content-Length` over the limit.
 */
export function sizeLimitCases(
  fuzz: Fuzzer,
  limits: IngestFuzzLimits,
  streamName: string,
  nowMs: number,
): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const padded = (text: string, size: number) =>
    Buffer.concat([
      Buffer.from(text.slice(0, -1)),
      Buffer.alloc(size - Buffer.byteLength(text), 0x20),
      Buffer.from(text.slice(-1)),
    ]);
  const limit = limits.maxRequestBytes;
  for (const size of [limit - 1, limit, limit + 1]) {
    const text = JSON.stringify([goodEvent(fuzz, nowMs)]);
    cases.push({
      category: 'ingest/size_limit',
      mutation: `${size} bytes, the limit ${limit}`,
      target: 'http',
      request: post(limits.path, padded(text, size)),
      check: (response) =>
        checkIngest(
          response,
          size > limit
            ? { refusal: { status: 413, error: 'request_too_large', mentions: 'maxRequestBytes' } }
            : { batch: { length: 1, good: new Set([0]) } },
        ),
    });
    // A valid event next to a string that fills the rest: the event is still taken.
    const event = JSON.stringify(goodEvent(fuzz, nowMs));
    const filler = 'x'.repeat(size - Buffer.byteLength(event) - 5);
    cases.push({
      category: 'ingest/size_limit',
      mutation: `an event and a ${filler.length}-character string, ${size} bytes`,
      target: 'http',
      request: post(limits.path, `[${event},"${filler}"]`),
      check: (response) =>
        checkIngest(
          response,
          size > limit
            ? { refusal: { status: 413, error: 'request_too_large', mentions: 'maxRequestBytes' } }
            : { batch: { length: 2, good: new Set([0]) } },
        ),
    });
  }
  cases.push({
    category: 'ingest/size_limit',
    mutation: `Content-Length ${limit + 1} declared, 2 bytes sent`,
    target: 'http',
    request: { ...post(limits.path, '[]'), declaredLength: limit + 1 },
    check: (response) =>
      checkIngest(response, {
        refusal: { status: 413, error: 'request_too_large', mentions: 'maxRequestBytes' },
      }),
  });
  const call = JSON.stringify({
    DeliveryStreamName: streamName,
    Record: { Data: Buffer.from(JSON.stringify(goodEvent(fuzz, nowMs))).toString('base64') },
  });
  for (const size of [
    FIREHOSE_MAX_BODY_BYTES - 1,
    FIREHOSE_MAX_BODY_BYTES,
    FIREHOSE_MAX_BODY_BYTES + 1,
  ]) {
    cases.push({
      category: 'firehose/size_limit',
      mutation: `PutRecord padded to ${size} bytes`,
      target: 'firehose',
      request: firehoseRequest('PutRecord', padded(call, size)),
      check: (response) => {
        const problems = checkFirehoseAnswer(response, undefined);
        const want = size > FIREHOSE_MAX_BODY_BYTES ? 413 : 200;
        return response.status === want
          ? problems
          : [...problems, `status ${response.status}, expected ${want}`];
      },
    });
  }
  cases.push({
    category: 'firehose/size_limit',
    mutation: `Content-Length ${FIREHOSE_MAX_BODY_BYTES + 1} declared, 2 bytes sent`,
    target: 'firehose',
    request: { ...firehoseRequest('PutRecord', '{}'), declaredLength: FIREHOSE_MAX_BODY_BYTES + 1 },
    check: (response) =>
      response.status === 413
        ? checkFirehoseAnswer(response, undefined)
        : [`status ${response.status}, expected 413`],
  });
  // Request heads over Node's 16 KiB limit: Node itself refuses them, before any route runs.
  for (const length of [17_000, 70_000]) {
    cases.push({
      category: 'ingest/size_limit',
      mutation: `URL of ${length} characters`,
      target: 'http',
      request: {
        method: 'GET',
        path: `/api/series?metric=revenue&group=${'x'.repeat(length)}`,
        headers: [],
      },
      check: (response) => checkOverlongHead(response, 'error'),
    });
    cases.push({
      category: 'firehose/size_limit',
      mutation: `X-Amz-Date header of ${length} characters`,
      target: 'firehose',
      request: {
        ...firehoseRequest('ListDeliveryStreams', '{}'),
        headers: [
          ...firehoseRequest('ListDeliveryStreams', '{}').headers,
          ['X-Amz-Date', 'x'.repeat(length)],
        ],
      },
      check: (response) => checkOverlongHead(response, '__type'),
    });
  }
  return cases;
}

/** A refusal of a request head over the server's limit: 431 or 414, as JSON naming the limit. */
function checkOverlongHead(response: RawResponse, codeMember: 'error' | '__type'): string[] {
  if (response.status !== 431 && response.status !== 414)
    return [`status ${response.status}, expected 431 or 414`];
  const body = jsonBodyOf(response) as Record<string, unknown> | undefined;
  if (typeof body?.[codeMember] !== 'string' || typeof body.message !== 'string') {
    return [`${response.status} without a JSON body with ${codeMember} and message`];
  }
  return [];
}
