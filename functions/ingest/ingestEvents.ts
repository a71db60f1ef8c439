import { KINESIS_LIMITS } from '../../core/codec/limits.js';
import { MAX_EVENT_ID_LENGTH, type StreamfoldEvent } from '../../core/events/envelope.js';
import { nestsDeeperThan } from '../../core/events/nestsDeeperThan.js';
import type { RejectReason } from '../../core/events/RejectReason.js';
import {
  type EventTimeWindow,
  MAX_EVENT_NESTING_DEPTH,
  validateEventObject,
} from '../../core/events/validateEvent.js';
import { checkJsonContentType } from './checkJsonContentType.js';
import { putAndAwaitAcknowledgement } from './putAndAwaitAcknowledgement.js';
import type {
  EventError,
  IngestDependencies,
  IngestRequest,
  IngestResponse,
  RequestErrorCode,
} from './types.js';

/**
 * Largest encoded event (NDJSON line) accepted: it must fit one Kinesis record
 * next to the longest partition key any producer may use.
 */
export const MAX_ENCODED_EVENT_BYTES =
  KINESIS_LIMITS.maxRecordBytes - KINESIS_LIMITS.maxPartitionKeyLength;

/** Seconds a client should wait before re-sending after a 503. */
const RETRY_AFTER_SECONDS = 1;

/** Longest excerpt of a bad body quoted in a message, in characters. */
const MAX_QUOTED_CHARS = 80;

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' } as const;

// fatal: bytes that are not UTF-8 fail the request instead of becoming U+FFFD.
// A leading byte order mark is dropped (RFC 8259 lets parsers ignore it).
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Handles one `POST /events` request: checks content type and size, parses the
 * body as a JSON array of events, validates each against the catalog, puts the
 * valid ones into the sink and answers once the sink acknowledged them.
 *
 * | Status | When | Body |
 * |---|---|---|
 * | 200 | every event accepted (an empty array included) | `{ accepted }` |
 * | 400 | some or all events invalid; the valid ones are accepted | `{ accepted, rejected, errors }` |
 * | 400 | body not UTF-8 JSON, or not an array | `{ error, message }` |
 * | 413 | body over `maxRequestBytes`, or more than `maxEventsPerRequest` events; nothing accepted | `{ error, message }` |
 * | 415 | `Content-Type` not `application/json` | `{ error, message }` |
 * | 503 | the sink did not acknowledge some valid events in time | `{ error, message, accepted, unacknowledgedIds, … }` |
 *
 * It never throws: a failing sink becomes a 503 naming the events to re-send.
 *
 * @example
 * const response = await ingestEvents(
 *   { contentType: 'application/json', body: Buffer.from(JSON.stringify([event])) },
 *   { sink: producer, catalog: eventCatalog, limits, acknowledgeTimeoutMs: 10_000 },
 * );
 * // { status: 200, headers: {...}, body: { accepted: 1 } }
 */
export async function ingestEvents(
  request: IngestRequest,
  dependencies: IngestDependencies,
): Promise<IngestResponse> {
  const { limits } = dependencies;
  const contentTypeProblem = checkJsonContentType(request.contentType);
  if (contentTypeProblem) return requestError(415, 'unsupported_media_type', contentTypeProblem);

  const bodyBytes = request.bodyBytes ?? request.body.byteLength;
  if (bodyBytes > limits.maxRequestBytes) {
    return requestError(
      413,
      'request_too_large',
      `request body is ${bodyBytes} bytes; at most ${limits.maxRequestBytes} are accepted (ingest.maxRequestBytes)`,
    );
  }

  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(request.body));
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return requestError(400, 'malformed_json', `body is not UTF-8 JSON: ${detail}`);
  }
  if (!Array.isArray(value)) {
    // Quoting runs JSON.stringify, whose recursion a deep object would overflow (a 500).
    const given =
      typeof value === 'object' && value !== null && nestsDeeperThan(value, MAX_EVENT_NESTING_DEPTH)
        ? `an object nested deeper than ${MAX_EVENT_NESTING_DEPTH} levels, the most an event may nest`
        : quote(value);
    return requestError(
      400,
      'not_an_array',
      `body must be a JSON array of events (given ${given})`,
    );
  }
  if (value.length > limits.maxEventsPerRequest) {
    return requestError(
      413,
      'too_many_events',
      `request holds ${value.length} events; at most ${limits.maxEventsPerRequest} are accepted (ingest.maxEventsPerRequest)`,
    );
  }

  const { valid, errors } = validateAll(value, dependencies);
  const outcome = await putAndAwaitAcknowledgement(
    dependencies.sink,
    valid,
    dependencies.acknowledgeTimeoutMs,
  );
  const refused = errors.length > 0 ? { rejected: errors.length, errors } : {};

  if (outcome.unacknowledged.length > 0) {
    const reason = outcome.timedOut
      ? `not acknowledged within ${dependencies.acknowledgeTimeoutMs} ms`
      : 'refused by the stream';
    dependencies.logger?.warn('events not acknowledged by the stream', {
      acknowledged: outcome.acknowledged,
      unacknowledged: outcome.unacknowledged.length,
      reason,
      error: outcome.firstError instanceof Error ? outcome.firstError.message : outcome.firstError,
    });
    return {
      status: 503,
      headers: { ...JSON_HEADERS, 'retry-after': String(RETRY_AFTER_SECONDS) },
      body: {
        error: 'stream_unavailable',
        message: `${outcome.unacknowledged.length} of ${valid.length} valid events were ${reason}; re-send the events listed in unacknowledgedIds`,
        accepted: outcome.acknowledged,
        unacknowledgedIds: outcome.unacknowledged.map((event) => event.id),
        ...refused,
      },
    };
  }
  return {
    status: errors.length > 0 ? 400 : 200,
    headers: { ...JSON_HEADERS },
    body: { accepted: outcome.acknowledged, ...refused },
  };
}

/** Validates every element; the valid events are returned in the catalog's normalised form. */
function validateAll(
  elements: readonly unknown[],
  dependencies: IngestDependencies,
): { valid: StreamfoldEvent[]; errors: EventError[] } {
  const { timeWindow, catalog } = dependencies;
  const window: EventTimeWindow | undefined = timeWindow
    ? { now: (dependencies.now ?? Date.now)(), ...timeWindow }
    : undefined;
  const valid: StreamfoldEvent[] = [];
  const errors: EventError[] = [];
  elements.forEach((element, index) => {
    const validation = validateEventObject(element, catalog, window);
    if (!validation.ok) {
      errors.push(eventError(index, element, validation.reason));
      return;
    }
    // Re-encoding can be longer than the text sent (1e9 becomes 1000000000), so measure it.
    const bytes = Buffer.byteLength(JSON.stringify(validation.event)) + 1;
    if (bytes > MAX_ENCODED_EVENT_BYTES) {
      errors.push(
        eventError(index, element, {
          code: 'event_too_large',
          message: `event is ${bytes} bytes encoded; one Kinesis record holds at most ${MAX_ENCODED_EVENT_BYTES}`,
        }),
      );
      return;
    }
    valid.push(validation.event);
  });
  return { valid, errors };
}

function eventError(
  index: number,
  element: unknown,
  reason: RejectReason | { code: 'event_too_large'; message: string; field?: string },
): EventError {
  const id = idOf(element);
  return {
    index,
    ...(id === undefined ? {} : { id }),
    code: reason.code,
    ...(reason.field === undefined ? {} : { field: reason.field }),
    message: reason.message,
  };
}

/** The element's `id` when it is a string short enough to echo back. */
function idOf(element: unknown): string | undefined {
  if (typeof element !== 'object' || element === null) return undefined;
  const id: unknown = (element as { id?: unknown }).id;
  return typeof id === 'string' && id.length <= MAX_EVENT_ID_LENGTH ? id : undefined;
}

function requestError(status: number, error: RequestErrorCode, message: string): IngestResponse {
  return { status, headers: { ...JSON_HEADERS }, body: { error, message } };
}

function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}…` : text;
}
