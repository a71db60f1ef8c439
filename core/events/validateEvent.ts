import type { z } from 'zod';
import type { EventCatalog } from './catalog.js';
import { envelopeSchema, type StreamfoldEvent } from './envelope.js';
import type { RejectReason } from './RejectReason.js';

/** Longest excerpt of a bad value quoted in a reject message, in characters. */
const MAX_QUOTED_VALUE_CHARS = 80;

/** What the time-window check needs. */
export interface EventTimeWindow {
  /** Current time, ms since the epoch. */
  now: number;
  /** How far in the past event time may lie, ms. */
  maxLatenessMs: number;
  /** How far in the future event time may lie (producer clock skew), ms. */
  maxFutureSkewMs: number;
}

/** The outcome of validating one event. */
export type EventValidation =
  | { ok: true; event: StreamfoldEvent; timeMs: number }
  | { ok: false; reason: RejectReason };

/**
 * Validates an already-parsed value as a streamfold event: envelope, known type,
 * the type's payload schema and, when `window` is given, event time.
 *
 * @example
 * const result = validateEventObject(JSON.parse(line), eventCatalog);
 * if (!result.ok) console.error(result.reason.message);
 */
export function validateEventObject(
  value: unknown,
  catalog: EventCatalog,
  window?: EventTimeWindow,
): EventValidation {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return reject('not_an_object', `event must be a JSON object (given ${quote(value)})`);
  }
  const envelope = envelopeSchema.safeParse(value, { reportInput: true });
  if (!envelope.success) return schemaViolation(envelope.error.issues, []);

  const { type } = envelope.data;
  const dataSchema = Object.hasOwn(catalog, type) ? catalog[type] : undefined;
  if (!dataSchema) {
    return reject('unknown_type', `type: unknown event type ${quote(type)}`, 'type');
  }
  const data = dataSchema.safeParse(envelope.data.data, { reportInput: true });
  if (!data.success) return schemaViolation(data.error.issues, ['data']);

  const timeMs = Date.parse(envelope.data.time);
  if (window) {
    const earliest = window.now - window.maxLatenessMs;
    const latest = window.now + window.maxFutureSkewMs;
    if (timeMs < earliest || timeMs > latest) {
      return reject(
        'time_out_of_window',
        `time: ${quote(envelope.data.time)} is outside the accepted window ` +
          `${new Date(earliest).toISOString()} .. ${new Date(latest).toISOString()}`,
        'time',
      );
    }
  }
  return { ok: true, event: { ...envelope.data, data: data.data }, timeMs };
}

/**
 * Parses one NDJSON line and validates it with {@link validateEventObject}.
 */
export function validateEventLine(
  line: string,
  catalog: EventCatalog,
  window?: EventTimeWindow,
): EventValidation {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return reject('malformed_json', `malformed JSON: ${detail} in ${quote(line)}`);
  }
  return validateEventObject(value, catalog, window);
}

function schemaViolation(issues: readonly z.core.$ZodIssue[], prefix: string[]): EventValidation {
  const first = issues[0];
  if (!first) return reject('schema_violation', 'schema violation');
  const field = [...prefix, ...first.path.map(String)].join('.');
  const given = 'input' in first ? ` (given ${quote(first.input)})` : '';
  return reject('schema_violation', `${field}: ${first.message}${given}`, field);
}

function reject(code: RejectReason['code'], message: string, field?: string): EventValidation {
  return { ok: false, reason: field === undefined ? { code, message } : { code, message, field } };
}

/** Quotes a value for an error message, cut to a readable length. */
function quote(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? 'undefined' : JSON.stringify(value);
  } catch {
    // BigInt and cyclic values cannot be serialised; fall back to their string form.
    text = String(value);
  }
  return text.length > MAX_QUOTED_VALUE_CHARS ? `${text.slice(0, MAX_QUOTED_VALUE_CHARS)}…` : text;
}
