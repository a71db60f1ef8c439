import type { EventCatalog } from '../../core/events/catalog.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import type { RejectCode } from '../../core/events/RejectReason.js';

/** Where accepted events go: `put()` resolves once the event is durably stored (acknowledged). */
export interface EventSink {
  put(event: StreamfoldEvent): Promise<unknown>;
}

/** Size limits of one request, from `config.ingest`. */
export interface IngestLimits {
  /** Largest body, bytes. */
  maxRequestBytes: number;
  /** Most events in the array. */
  maxEventsPerRequest: number;
}

/** Where ingest reports what it handled but the client is not told in detail. */
export interface IngestLogger {
  warn(message: string, details: Record<string, unknown>): void;
}

/** What {@link ingestEvents} needs besides the request. */
export interface IngestDependencies {
  sink: EventSink;
  catalog: EventCatalog;
  limits: IngestLimits;
  /** How long to wait for the sink to acknowledge the accepted events, ms. */
  acknowledgeTimeoutMs: number;
  /**
   * Event time acceptance (`config.events`), checked at arrival as the aggregate handler does,
   * so a client hears at once about an event that would never be counted.
   * @default - event time is not checked
   */
  timeWindow?: { maxLatenessMs: number; maxFutureSkewMs: number };
  /** @default Date.now */
  now?: () => number;
  /** @default - nothing is logged */
  logger?: IngestLogger;
}

/** One HTTP request to the ingest endpoint. */
export interface IngestRequest {
  /** The `Content-Type` header, if any. */
  contentType: string | undefined;
  /** The raw body, or its first bytes when the reader stopped keeping them past the limit. */
  body: Uint8Array;
  /**
   * Size of the whole body, when `body` holds only its start.
   * @default body.byteLength
   */
  bodyBytes?: number;
}

/** Why a single event was refused: the catalog's codes, plus events too large for one record. */
export type EventErrorCode = RejectCode | 'event_too_large';

/** A refused event, by its position in the request. */
export interface EventError {
  /** Position in the request's array, from 0. */
  index: number;
  /** The event's `id` as sent, when it was a string of acceptable length. */
  id?: string;
  code: EventErrorCode;
  /** Dotted path of the offending field, for example `data.amount`. */
  field?: string;
  /** Names the field and the value. */
  message: string;
}

/** Why a whole request was refused. */
export type RequestErrorCode =
  | 'unsupported_media_type'
  | 'request_too_large'
  | 'too_many_events'
  | 'malformed_json'
  | 'not_an_array'
  | 'stream_unavailable'
  | 'not_found'
  | 'method_not_allowed'
  | 'internal_error';

/** Body of 200 (every event accepted) and of 400 when only some events were refused. */
export interface IngestResultBody {
  /** Events acknowledged by the stream. */
  accepted: number;
  /** Events refused as bad input; present when there are any. */
  rejected?: number;
  /** One entry per refused event; present when there are any. */
  errors?: EventError[];
}

/** Body of a response refusing the whole request (415, 413, 400, 503, 404, 405). */
export interface RequestErrorBody {
  error: RequestErrorCode;
  /** Names the setting or value at fault. */
  message: string;
}

/**
 * Body of 503: the stream did not acknowledge some valid events in time. The client
 * re-sends exactly `unacknowledgedIds`; an event that did land meanwhile is stored twice
 * with the same `id`, which the archive queries deduplicate.
 */
export interface StreamUnavailableBody extends RequestErrorBody, IngestResultBody {
  error: 'stream_unavailable';
  unacknowledgedIds: string[];
}

/** A response: status, headers and the JSON body. */
export interface IngestResponse {
  status: number;
  headers: Record<string, string>;
  body: IngestResultBody | RequestErrorBody | StreamUnavailableBody;
}
