import type { RejectCode } from '../../../core/events/RejectReason.js';
import type { WebShopEventType } from '../../../examples/web-shop/catalog.js';
import { sampleEvent } from '../events.js';
import type { FuzzCase, RawRequest, RawResponse } from './FuzzCase.js';
import { jsonBodyOf } from './FuzzCase.js';
import type { Fuzzer } from './Fuzzer.js';
import { type FuzzValue, JsonEntries, RawJson, toJsonText, withMember } from './jsonText.js';
import { deepNesting, PROTOTYPE_KEYS, weirdValue } from './weirdValues.js';

/** The ingest limits the generated requests are sized against. */
export interface IngestFuzzLimits {
  path: string;
  maxRequestBytes: number;
  maxEventsPerRequest: number;
}

const EVENT_TYPES: readonly WebShopEventType[] = ['page_view', 'add_to_cart', 'purchase'];
const COUNTRIES = ['DE', 'FR', 'IT', 'US', 'JP'] as const;
const REJECT_CODES: ReadonlySet<RejectCode> = new Set<RejectCode>([
  'malformed_json',
  'malformed_aggregate',
  'not_an_object',
  'too_deep',
  'unpaired_surrogate',
  'unknown_type',
  'schema_violation',
  'time_out_of_window',
  'unstorable_number',
  'refused_by_store',
]);
/** Codes that are about one field of the event, so they must name it. */
const FIELD_CODES: ReadonlySet<string> = new Set([
  'too_deep',
  'unpaired_surrogate',
  'unknown_type',
  'schema_violation',
  'time_out_of_window',
  'unstorable_number',
]);

/** Event times no producer should send: other formats, far past and future, impossible dates. */
const ODD_TIMES: readonly FuzzValue[] = [
  1_764_000_000,
  1_764_000_000_000,
  '1764000000',
  '2026-11-22T10:00:00',
  '2026-11-22',
  '2026-13-01T00:00:00Z',
  '2026-02-30T00:00:00Z',
  '2026-11-22T24:00:00Z',
  '2026-11-22T23:59:60Z',
  '1970-01-01T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
  '+275760-09-13T00:00:00.000Z',
  '2026-11-22T10:00:00.123456789123Z',
  '2026-11-22T10:00:00+25:00',
  'yesterday',
];

/** A valid web-shop event of a random type, time within the last 10 minutes. */
export function goodEvent(fuzz: Fuzzer, nowMs: number): Record<string, unknown> {
  const type = fuzz.pick(EVENT_TYPES);
  const country = fuzz.pick(COUNTRIES);
  const data =
    type === 'purchase'
      ? { amount: fuzz.int(1, 50_000) / 100, items: fuzz.int(1, 5), country }
      : type === 'add_to_cart'
        ? { quantity: fuzz.int(1, 9), price: fuzz.int(0, 9_999) / 100, country }
        : { path: `/product/${fuzz.int(1, 999)}`, country };
  return {
    ...sampleEvent(type, {
      id: fuzz.id(),
      time: new Date(nowMs - fuzz.int(0, 600_000)).toISOString(),
      source: 'fuzz',
      data,
    }),
  };
}

/** One event with one thing wrong, and the field at fault when one is. */
interface MutatedEvent {
  value: FuzzValue;
  mutation: string;
  /** The field a refusal must name (or lie inside); undefined when any field may be named. */
  culprit: string | undefined;
  validJson: boolean;
}

function replaceAt(event: Record<string, unknown>, path: string, value: FuzzValue): FuzzValue {
  const [top, inner] = path.split('.') as [string, string | undefined];
  if (inner === undefined) return withMember(event, top, value);
  return withMember(event, top, withMember(event[top] as object, inner, value));
}

function removeAt(event: Record<string, unknown>, path: string): FuzzValue {
  const [top, inner] = path.split('.') as [string, string | undefined];
  const rest = Object.fromEntries(Object.entries(event).filter(([name]) => name !== top));
  if (inner === undefined) return rest;
  const data = Object.fromEntries(
    Object.entries(event[top] as object).filter(([name]) => name !== inner),
  );
  return withMember(rest, top, data);
}

function mutateEvent(fuzz: Fuzzer, event: Record<string, unknown>): MutatedEvent {
  const dataKeys = Object.keys(event.data as object).map((key) => `data.${key}`);
  const path = fuzz.pick(['id', 'type', 'time', 'source', 'data', ...dataKeys]);
  const how = fuzz.pick([
    'replace',
    'replace',
    'replace',
    'specific',
    'remove',
    'duplicate',
    'extra_key',
    'whole',
  ]);
  switch (how) {
    case 'replace': {
      const weird = weirdValue(fuzz);
      return {
        value: replaceAt(event, path, weird.value),
        mutation: `${path} := ${weird.kind}`,
        culprit: path,
        validJson: weird.validJson,
      };
    }
    case 'specific': {
      if (path === 'type') {
        const type = fuzz.pick([
          'Purchase',
          'PAGE_VIEW',
          'nope',
          '',
          '__proto__',
          'constructor',
          'toString',
          'hasOwnProperty',
          't'.repeat(65),
          ...EVENT_TYPES,
        ]);
        // Another known type makes the payload the one at fault.
        const known = (EVENT_TYPES as readonly string[]).includes(type);
        return {
          value: replaceAt(event, 'type', type),
          mutation: `type := ${JSON.stringify(type)}`,
          culprit: known ? undefined : 'type',
          validJson: true,
        };
      }
      if (path === 'id') {
        const id = fuzz.pick(['', 'a b', 'a/b', 'ü', 'x'.repeat(65), '\ud800', 'a\u0000']);
        return {
          value: replaceAt(event, 'id', id),
          mutation: `id := ${JSON.stringify(id)}`,
          culprit: 'id',
          validJson: true,
        };
      }
      const time = fuzz.pick(ODD_TIMES);
      return {
        value: replaceAt(event, 'time', time),
        mutation: `time := ${JSON.stringify(time)}`,
        culprit: 'time',
        validJson: true,
      };
    }
    case 'remove':
      return {
        value: removeAt(event, path),
        mutation: `${path} removed`,
        culprit: path,
        validJson: true,
      };
    case 'duplicate': {
      // The key given twice, the second time with a weird value: JSON.parse keeps the last.
      const weird = weirdValue(fuzz);
      const [top, inner] = path.split('.') as [string, string | undefined];
      const twice = (object: Record<string, unknown>, key: string) =>
        new JsonEntries([...Object.entries(object), [key, weird.value]]);
      const value =
        inner === undefined
          ? twice(event, top)
          : withMember(event, top, twice(event[top] as Record<string, unknown>, inner));
      return {
        value,
        mutation: `${path} twice, then ${weird.kind}`,
        culprit: path,
        validJson: weird.validJson,
      };
    }
    case 'extra_key': {
      const key = fuzz.chance(0.7)
        ? fuzz.pick(PROTOTYPE_KEYS)
        : fuzz.pick(['extra', '', '\ud800', 'a.b', 'x'.repeat(300)]);
      const member = fuzz.pick<FuzzValue>([
        { polluted: true },
        1,
        'x',
        null,
        [],
        deepNesting(fuzz, 40),
      ]);
      const inData = fuzz.chance(0.5);
      const value = inData
        ? withMember(event, 'data', withMember(event.data as object, key, member))
        : withMember(event, key, member);
      return {
        value,
        mutation: `extra key ${JSON.stringify(key)} in ${inData ? 'data' : 'the envelope'}`,
        culprit: undefined,
        validJson: true,
      };
    }
    default: {
      const weird = weirdValue(fuzz);
      return {
        value: weird.value,
        mutation: `event := ${weird.kind}`,
        culprit: undefined,
        validJson: weird.validJson,
      };
    }
  }
}

/** What an ingest answer must be. */
export interface IngestExpectation {
  /** A refusal of the whole request, with the words its message must hold. */
  refusal?: { status: number; error: string; mentions: string };
  /** For a JSON array within the limits: how many elements and which are valid. */
  batch?: {
    length: number;
    good: ReadonlySet<number>;
    culprit?: { index: number; field: string | undefined };
  };
}

/** The problems of an ingest answer against what the request was. */
function checkIngestAnswer(response: RawResponse, expected: IngestExpectation): string[] {
  if (response.status >= 500) {
    return response.status === 503 && response.headers['retry-after'] !== undefined
      ? []
      : [`status ${response.status}`];
  }
  const body = jsonBodyOf(response) as Record<string, unknown> | undefined;
  if (typeof body !== 'object' || body === null)
    return [`status ${response.status} without a JSON body`];
  const { refusal, batch } = expected;
  if (!refusal && !batch) return checkAnyIngestAnswer(response.status, body);
  if (refusal) {
    const problems: string[] = [];
    if (response.status !== refusal.status)
      problems.push(`status ${response.status}, expected ${refusal.status}`);
    if (body.error !== refusal.error)
      problems.push(`error ${JSON.stringify(body.error)}, expected ${refusal.error}`);
    if (typeof body.message !== 'string' || !body.message.includes(refusal.mentions)) {
      problems.push(`message does not mention ${JSON.stringify(refusal.mentions)}`);
    }
    return problems;
  }
  if (!batch) return [];
  if (response.status === 200) {
    return body.accepted === batch.length
      ? []
      : [`200 with accepted ${String(body.accepted)} of ${batch.length}`];
  }
  if (response.status !== 400 || !Array.isArray(body.errors)) {
    // Good events must never be taken down with a refusal of the whole request.
    return [
      `status ${response.status} (${String(body.error)}) for a batch of ${batch.length} with ${batch.good.size} valid events`,
    ];
  }
  const problems: string[] = [];
  const errors = body.errors as Record<string, unknown>[];
  if (body.rejected !== errors.length)
    problems.push(`rejected ${String(body.rejected)} but ${errors.length} errors`);
  if (Number(body.accepted) + errors.length !== batch.length) {
    problems.push(
      `accepted ${String(body.accepted)} + rejected ${errors.length} is not ${batch.length}`,
    );
  }
  for (const error of errors) {
    const index = error.index;
    if (
      typeof index !== 'number' ||
      !Number.isInteger(index) ||
      index < 0 ||
      index >= batch.length
    ) {
      problems.push(`error with index ${String(index)}`);
      continue;
    }
    if (batch.good.has(index))
      problems.push(`valid event ${index} rejected: ${JSON.stringify(error)}`);
    if (!REJECT_CODES.has(error.code as RejectCode))
      problems.push(`unknown code ${String(error.code)}`);
    const { field, message } = error;
    if (typeof message !== 'string' || message.length === 0)
      problems.push(`error ${index} without a message`);
    if (FIELD_CODES.has(String(error.code)) && (typeof field !== 'string' || field.length === 0)) {
      problems.push(`error ${index} (${String(error.code)}) names no field`);
    }
    if (typeof field === 'string' && typeof message === 'string' && !message.includes(field)) {
      problems.push(`error ${index}: message does not mention its field ${field}`);
    }
    const culprit = batch.culprit;
    if (culprit?.index === index && culprit.field !== undefined && typeof field === 'string') {
      const related =
        field === culprit.field ||
        field.startsWith(`${culprit.field}.`) ||
        culprit.field.startsWith(`${field}.`);
      if (!related)
        problems.push(`error ${index} names ${field}, but ${culprit.field} was mutated`);
    }
  }
  return problems;
}

/** An answer to a request of unknown validity: a refusal names what was wrong, or each event refused does. */
function checkAnyIngestAnswer(status: number, body: Record<string, unknown>): string[] {
  if (status < 400) return [];
  if (Array.isArray(body.errors)) {
    const length = Number(body.accepted) + body.errors.length;
    return checkIngestAnswer(
      { status, headers: {}, body: Buffer.from(JSON.stringify(body)) },
      { batch: { length, good: new Set() } },
    );
  }
  if (typeof body.error !== 'string' || body.error.length === 0)
    return [`${status} without an error code`];
  if (typeof body.message !== 'string' || body.message.length === 0)
    return [`${status} without a message`];
  return [];
}

/**
 * The problems of an ingest answer: 5xx (but a 503 with `Retry-After`), a
 * body that is not JSON, a refusal without `error` and `message`, a refused
 * event without its code and field; with `expected`, also the wrong refusal,
 * or a valid event of a batch refused.
 */
export function checkIngest(response: RawResponse, expected: IngestExpectation = {}): string[] {
  return checkIngestAnswer(response, expected);
}

const JSON_TYPE: readonly [string, string] = ['Content-Type', 'application/json'];

/** A `POST` of `body` with `contentType` (none when `undefined`). */
export function post(
  path: string,
  body: string | Buffer,
  contentType: string | null = JSON_TYPE[1],
): RawRequest {
  return {
    method: 'POST',
    path,
    headers: contentType === null ? [] : [['Content-Type', contentType]],
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
  };
}

/**
 * A `POST /events` of a batch of valid events with one mutated among them:
 * the valid ones must be accepted whatever the mutated one holds.
 */
export function ingestBatchCase(fuzz: Fuzzer, limits: IngestFuzzLimits, nowMs: number): FuzzCase {
  const length = fuzz.int(1, 4);
  const mutatedIndex = fuzz.int(0, length - 1);
  const events = Array.from({ length }, () => goodEvent(fuzz, nowMs));
  const mutated = mutateEvent(fuzz, events[mutatedIndex] as Record<string, unknown>);
  const elements: FuzzValue[] = events.map((event, i) =>
    i === mutatedIndex ? mutated.value : event,
  );
  const text = toJsonText(elements);
  const bytes = Buffer.byteLength(text);
  const good = new Set(events.map((_, i) => i).filter((i) => i !== mutatedIndex));
  const expected: IngestExpectation =
    bytes > limits.maxRequestBytes
      ? { refusal: { status: 413, error: 'request_too_large', mentions: 'maxRequestBytes' } }
      : !mutated.validJson
        ? { refusal: { status: 400, error: 'malformed_json', mentions: 'JSON' } }
        : { batch: { length, good, culprit: { index: mutatedIndex, field: mutated.culprit } } };
  return {
    category: 'ingest/structured',
    mutation: `event ${mutatedIndex} of ${length}: ${mutated.mutation}`,
    target: 'http',
    request: post(limits.path, text),
    check: (response) => checkIngestAnswer(response, expected),
  };
}

/** Content types and whether the ingest route must take them. */
const CONTENT_TYPES: readonly (readonly [string | null, boolean])[] = [
  [null, false],
  ['', false],
  ['text/plain', false],
  ['application/x-www-form-urlencoded', false],
  ['multipart/form-data; boundary=x', false],
  ['application/jsonx', false],
  ['application/json; charset=latin1', false],
  ['application/json; charset=utf-16', false],
  ['application/x-amz-json-1.1', false],
  ['*/*', false],
  ['APPLICATION/JSON', true],
  ['application/json; charset=UTF-8', true],
  ['application/json;charset="utf-8"', true],
  ['application/json; boundary=x', true],
  ['application/json ; charset=utf8', true],
];

/**
 * A `POST /events` wrong as a whole: content type, body shape, event count,
 * method or path.
 */
export function ingestRequestCase(fuzz: Fuzzer, limits: IngestFuzzLimits, nowMs: number): FuzzCase {
  const valid = toJsonText([goodEvent(fuzz, nowMs)]);
  const kind = fuzz.pick(['content_type', 'not_array', 'too_many', 'empty', 'method', 'path']);
  const category = 'ingest/request';
  switch (kind) {
    case 'content_type': {
      const [type, accepted] = fuzz.pick(CONTENT_TYPES);
      return {
        category,
        mutation: `Content-Type ${JSON.stringify(type)}`,
        target: 'http',
        request: post(limits.path, valid, type),
        check: (response) =>
          checkIngestAnswer(
            response,
            accepted
              ? { batch: { length: 1, good: new Set([0]) } }
              : {
                  refusal: {
                    status: 415,
                    error: 'unsupported_media_type',
                    mentions: 'Content-Type',
                  },
                },
          ),
      };
    }
    case 'not_array': {
      const body = fuzz.pick<FuzzValue>([
        JSON.parse(valid)[0],
        {},
        null,
        0,
        'events',
        true,
        new JsonEntries([['__proto__', []]]),
        deepNesting(fuzz, fuzz.pick([40, 10_000, 100_000])),
        new RawJson(`{"a":${'['.repeat(50_000)}${']'.repeat(50_000)}}`),
      ]);
      const text = toJsonText(body);
      const deepArray = text.startsWith('[');
      return {
        category,
        mutation: `body ${text.slice(0, 40)}`,
        target: 'http',
        request: post(limits.path, text),
        check: (response) =>
          checkIngestAnswer(
            response,
            // Nested arrays are an array of one element that is not an event.
            deepArray
              ? { batch: { length: 1, good: new Set(), culprit: { index: 0, field: undefined } } }
              : { refusal: { status: 400, error: 'not_an_array', mentions: 'array' } },
          ),
      };
    }
    case 'too_many': {
      const count = limits.maxEventsPerRequest + fuzz.int(1, 3);
      const element = fuzz.pick(['0', '{}', valid.slice(1, -1)]);
      const text = `[${Array.from({ length: count }, () => element).join(',')}]`;
      const fits = Buffer.byteLength(text) <= limits.maxRequestBytes;
      return {
        category,
        mutation: `${count} events`,
        target: 'http',
        request: post(limits.path, text),
        check: (response) =>
          checkIngestAnswer(response, {
            refusal: fits
              ? { status: 413, error: 'too_many_events', mentions: 'maxEventsPerRequest' }
              : { status: 413, error: 'request_too_large', mentions: 'maxRequestBytes' },
          }),
      };
    }
    case 'empty': {
      const text = fuzz.pick(['', ' ', '[]', '\ufeff[]', '[ ]']);
      const expected: IngestExpectation = text.includes('[')
        ? { batch: { length: 0, good: new Set() } }
        : { refusal: { status: 400, error: 'malformed_json', mentions: 'JSON' } };
      return {
        category,
        mutation: `body ${JSON.stringify(text)}`,
        target: 'http',
        request: post(limits.path, text),
        check: (response) => checkIngestAnswer(response, expected),
      };
    }
    case 'method': {
      const method = fuzz.pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE']);
      return {
        category,
        mutation: `method ${method}`,
        target: 'http',
        request: { ...post(limits.path, valid), method },
        check: (response) =>
          checkIngestAnswer(response, {
            refusal: { status: 405, error: 'method_not_allowed', mentions: method },
          }),
      };
    }
    default: {
      const path = fuzz.pick([
        `${limits.path}/`,
        limits.path.toUpperCase(),
        `${limits.path}%00`,
        `${limits.path}/..%2f`,
        `${limits.path}.json`,
        `${limits.path};x`,
      ]);
      return {
        category,
        mutation: `path ${path}`,
        target: 'http',
        request: post(path, valid),
        check: (response) =>
          checkIngestAnswer(response, {
            refusal: { status: 404, error: 'not_found', mentions: 'no route' },
          }),
      };
    }
  }
}
