import type { z } from 'zod';
import { isWellFormedText } from '../text/isWellFormedText.js';
import { withoutByteOrderMark } from '../text/withoutByteOrderMark.js';
import type { EventCatalog } from './catalog.js';
import {
  type CompiledEventValidator,
  compileEventValidator,
  type EventVerdict,
} from './compileEventValidator.js';
import { envelopeSchema, type StreamfoldEvent } from './envelope.js';
import { nestsDeeperThan } from './nestsDeeperThan.js';
import type { RejectReason } from './RejectReason.js';
import { type UnpairedSurrogate, unpairedSurrogateIn } from './unpairedSurrogateIn.js';

/** Longest excerpt of a bad value quoted in a reject message, in characters. */
const MAX_QUOTED_VALUE_CHARS = 80;

/**
 * Deepest nesting of objects and arrays accepted in an event. Events are a
 * flat envelope with a shallow payload; zod and `JSON.stringify` recurse, so
 * 10,000 levels of `[` would overflow the stack inside validation instead of
 * being refused. 32 levels leaves payload schemas plenty of room.
 */
export const MAX_EVENT_NESTING_DEPTH = 32;

/** Times before this are almost always epoch seconds read as milliseconds (1970-01-21 for 2026). */
const SECONDS_AS_MILLIS_BEFORE_MS = Date.UTC(1971, 0, 1);

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
  return validateParsed(value, catalog, window, true, true, compiledValidatorFor(catalog));
}

/**
 * {@link validateEventObject}, with the nesting walk left out when the text
 * the value was parsed from cannot nest that deep (`checkDepth` false), the
 * walk for unpaired surrogates left out when that text cannot hold one
 * (`checkSurrogates` false), and `fastPath` tried before zod.
 */
function validateParsed(
  value: unknown,
  catalog: EventCatalog,
  window: EventTimeWindow | undefined,
  checkDepth: boolean,
  checkSurrogates: boolean,
  fastPath: CompiledEventValidator | undefined,
): EventValidation {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return reject('not_an_object', `event must be a JSON object (given ${quote(value)})`);
  }
  // Before zod: its recursive walk would overflow the stack on deep input.
  const field = checkDepth ? fieldDeeperThan(value, MAX_EVENT_NESTING_DEPTH) : undefined;
  if (field !== undefined) {
    return reject(
      'too_deep',
      `${field}: nested deeper than ${MAX_EVENT_NESTING_DEPTH} levels of objects and arrays`,
      field,
    );
  }
  // Before zod, which accepts them: every string, key or value, stripped by the schema or kept,
  // reaches the archive as the producer wrote it.
  const surrogate = checkSurrogates ? unpairedSurrogateIn(value) : undefined;
  if (surrogate !== undefined) return unpairedSurrogate(surrogate);
  // The fast path accepts only what zod accepts; whatever it leaves, zod validates and explains,
  // run by the compiled verdict on the part refused (one zod run of a field, not three of the
  // envelope and payload), or through safeParse alone by a fast path without one.
  const event = fastPath?.(value);
  if (event !== undefined) return checkEventTime(event, window);
  const verdict = fastPath?.verdict?.(value) ?? zodOnlyVerdict(value, catalog);
  return verdict.kind === 'accepted'
    ? checkEventTime(verdict.event, window)
    : refusal(verdict, catalog);
}

/**
 * Envelope, known type and payload, checked by the zod schemas through their
 * public `safeParse` alone: the reference a compiled validator's verdict is
 * tested against, and the path of a validator without one.
 */
function zodOnlyVerdict(value: object, catalog: EventCatalog): EventVerdict {
  // `reportInput` (the value quoted in messages) costs about half of a parse, so it is asked
  // for only when there is a message to write: the refused value is parsed again.
  const envelope = envelopeSchema.safeParse(value);
  if (!envelope.success) {
    const quoted = envelopeSchema.safeParse(value, { reportInput: true });
    return { kind: 'envelope_refused', issue: (quoted.error?.issues ?? envelope.error.issues)[0] };
  }
  const { type } = envelope.data;
  const dataSchema = Object.hasOwn(catalog, type) ? catalog[type] : undefined;
  if (!dataSchema) return { kind: 'unknown_type', type };
  const data = dataSchema.safeParse(envelope.data.data);
  if (!data.success) {
    const quoted = dataSchema.safeParse(envelope.data.data, { reportInput: true });
    return { kind: 'data_refused', issue: (quoted.error?.issues ?? data.error.issues)[0] };
  }
  return { kind: 'accepted', event: { ...envelope.data, data: data.data } };
}

/** The reject for a verdict that is not an acceptance. */
function refusal(
  verdict: Exclude<EventVerdict, { kind: 'accepted' }>,
  catalog: EventCatalog,
): EventValidation {
  switch (verdict.kind) {
    case 'envelope_refused':
      return schemaViolation(verdict.issue, []);
    case 'data_refused':
      return schemaViolation(verdict.issue, ['data']);
    case 'unknown_type': {
      const { type } = verdict;
      const lower = type.toLowerCase();
      const near = Object.keys(catalog).find((known) => known.toLowerCase() === lower);
      // Types are case-sensitive: `Purchase` is not `purchase`, but the message says which was meant.
      const hint =
        near === undefined ? '' : ` (types are case-sensitive; did you mean ${quote(near)}?)`;
      return reject('unknown_type', `type: unknown event type ${quote(type)}${hint}`, 'type');
    }
  }
}

/** The event's time in ms, checked against `window` when one is given. */
function checkEventTime(
  event: StreamfoldEvent,
  window: EventTimeWindow | undefined,
): EventValidation {
  const timeMs = Date.parse(event.time);
  // The schema's pattern admits only dates Date.parse reads; this keeps NaN out of bucketing anyway.
  if (!Number.isFinite(timeMs)) {
    return reject('schema_violation', `time: not a date (given ${quote(event.time)})`, 'time');
  }
  if (window) {
    const earliest = window.now - window.maxLatenessMs;
    const latest = window.now + window.maxFutureSkewMs;
    if (timeMs < earliest || timeMs > latest) {
      return reject(
        'time_out_of_window',
        `time: ${quote(event.time)} is outside the accepted window ` +
          `${new Date(earliest).toISOString()} .. ${new Date(latest).toISOString()}` +
          (timeMs < SECONDS_AS_MILLIS_BEFORE_MS
            ? ' (a time in 1970 usually means epoch seconds were read as milliseconds)'
            : ''),
        'time',
      );
    }
  }
  return { ok: true, event, timeMs };
}

/**
 * Parses one NDJSON line and validates it with {@link validateEventObject}.
 */
export function validateEventLine(
  line: string,
  catalog: EventCatalog,
  window?: EventTimeWindow,
): EventValidation {
  return validateEventLineWithFastPath(line, catalog, window, compiledValidatorFor(catalog));
}

/**
 * {@link validateEventLine} with the compiled fast path given rather than
 * looked up: `undefined` validates with zod's `safeParse` alone, the reference
 * the compiled validator (fast path and verdict) is tested against.
 */
export function validateEventLineWithFastPath(
  line: string,
  catalog: EventCatalog,
  window: EventTimeWindow | undefined,
  fastPath: CompiledEventValidator | undefined,
): EventValidation {
  let value: unknown;
  try {
    value = parseJsonWithoutStack(withoutByteOrderMark(line));
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    // The start of a long line rarely shows the fault; quote the text around it as well.
    const position = Number(/at position (\d+)/.exec(detail)?.[1] ?? Number.NaN);
    const near =
      Number.isInteger(position) && position > MAX_QUOTED_VALUE_CHARS / 2
        ? `, near ${quote(line.slice(position - 20, position + 20))}`
        : '';
    return reject('malformed_json', `malformed JSON: ${detail} in ${quote(line)}${near}`);
  }
  const checkDepth = opensMoreThan(line, MAX_EVENT_NESTING_DEPTH);
  return validateParsed(value, catalog, window, checkDepth, mayHoldSurrogate(line), fastPath);
}

const BACKSLASH = 0x5c;

/**
 * Whether a value parsed from `line` can hold an unpaired surrogate: only
 * when the line holds one itself, or a JSON escape of a surrogate (`\ud800`)
 * other than a high one followed at once by a low one (`\ud83d\ude00`, an
 * emoji as producers that write ASCII only send it). A line decoded from
 * bytes is well-formed, which V8 answers at once for a one-byte string, and
 * most lines hold no `\u` at all (a memchr-like scan). An escape after a
 * backslash may be text (`\\ud800`) and is left to the walk.
 */
function mayHoldSurrogate(line: string): boolean {
  for (let i = line.indexOf('\\u'); i !== -1; i = line.indexOf('\\u', i + 2)) {
    const half = surrogateEscapeAt(line, i);
    if (half === undefined) continue;
    if (half === 'low' || line.charCodeAt(i - 1) === BACKSLASH) return true;
    if (surrogateEscapeAt(line, i + 6) !== 'low') return true;
    // The pair's low half is not looked at again.
    i += 6;
  }
  return !isWellFormedText(line);
}

/** Which half of a surrogate pair the `\uXXXX` escape at `index` of `text` is, if it is one. */
function surrogateEscapeAt(text: string, index: number): 'high' | 'low' | undefined {
  if (text.charCodeAt(index) !== BACKSLASH || text.charCodeAt(index + 1) !== 0x75) return undefined;
  // `| 0x20` lower-cases a hex letter: D800-DBFF are high halves, DC00-DFFF low ones.
  if ((text.charCodeAt(index + 2) | 0x20) !== 0x64) return undefined;
  const digit = text.charCodeAt(index + 3) | 0x20;
  if (digit === 0x38 || digit === 0x39 || digit === 0x61 || digit === 0x62) return 'high';
  return digit >= 0x63 && digit <= 0x66 ? 'low' : undefined;
}

/**
 * Whether `Error.stackTraceLimit` can be set, as V8 offers it: a hardened
 * realm may have frozen `Error`, and then the stack is left as it is.
 */
const STACK_TRACE_LIMIT_WRITABLE =
  typeof Error.stackTraceLimit === 'number' &&
  Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit')?.writable === true;

/**
 * `JSON.parse`, with no stack trace captured in the `SyntaxError` it throws:
 * a reject keeps only the message, and the capture is 3 µs of the 6.7 µs a
 * 500-byte line cut in half takes to refuse. Nothing but the parse runs while
 * the limit is 0 (no reviver), and the limit is put back as it was.
 */
function parseJsonWithoutStack(text: string): unknown {
  const limit = Error.stackTraceLimit;
  if (!STACK_TRACE_LIMIT_WRITABLE || typeof limit !== 'number') return JSON.parse(text);
  Error.stackTraceLimit = 0;
  try {
    return JSON.parse(text);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Compiled validators by catalog, built on a catalog's first event (a cold start's work). */
const compiledValidators = new WeakMap<EventCatalog, CompiledEventValidator>();

function compiledValidatorFor(catalog: EventCatalog): CompiledEventValidator {
  let compiled = compiledValidators.get(catalog);
  if (compiled === undefined) {
    compiled = compileEventValidator(catalog);
    compiledValidators.set(catalog, compiled);
  }
  return compiled;
}

/**
 * Whether `text` holds more than `limit` `{` and `[` characters: only then
 * can the value parsed from it nest deeper than `limit` (brackets inside
 * strings count too, which only makes the answer cautious). Much cheaper than
 * walking the parsed value, which most events never need.
 */
function opensMoreThan(text: string, limit: number): boolean {
  let opens = 0;
  for (let i = text.indexOf('{'); i !== -1; i = text.indexOf('{', i + 1)) {
    if (++opens > limit) return true;
  }
  for (let i = text.indexOf('['); i !== -1; i = text.indexOf('[', i + 1)) {
    if (++opens > limit) return true;
  }
  return false;
}

function schemaViolation(
  first: z.core.$ZodIssue | undefined,
  prefix: readonly string[],
): EventValidation {
  if (!first) return reject('schema_violation', 'schema violation');
  const field = [...prefix, ...first.path.map(String)].join('.');
  const given = 'input' in first ? ` (given ${quote(first.input)})` : '';
  const hint = field === 'time' ? TIME_FORMAT_HINT : '';
  return reject('schema_violation', `${field}: ${first.message}${given}${hint}`, field);
}

/** Added to every `time` format error: epoch numbers and local times are the usual mistakes. */
const TIME_FORMAT_HINT =
  '; time must be an ISO 8601 date-time with an offset, such as 2026-11-22T10:15:03.120Z, ' +
  'not epoch seconds or milliseconds';

/**
 * The field holding the first value nested deeper than `limit` objects/arrays
 * (array indexes left out, so `data.tags` rather than `data.tags.0.0.0`), or
 * `undefined`. Iterative, so the check itself cannot overflow the stack.
 */
function fieldDeeperThan(root: object, limit: number): string | undefined {
  // Most events hold one nested object; finding that nothing is too deep needs no field names.
  if (!nestsDeeperThan(root, limit)) return undefined;
  const stack: { value: unknown; depth: number; field: string }[] = [
    { value: root, depth: 0, field: '' },
  ];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value, depth, field } = next;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= limit) return field;
    const inArray = Array.isArray(value);
    for (const key of Object.keys(value)) {
      stack.push({
        value: (value as Record<string, unknown>)[key],
        depth: depth + 1,
        field: inArray ? field : field === '' ? key : `${field}.${key}`,
      });
    }
  }
  return undefined;
}

/** The reject of a string holding an unpaired surrogate, naming the field and where it is. */
function unpairedSurrogate({ field, text, inKey, index }: UnpairedSurrogate): EventValidation {
  const unit = `\\u${text.charCodeAt(index).toString(16)}`;
  const what = inKey ? 'key' : 'string';
  // The quote shows 80 characters: from a little before the surrogate when it lies further in.
  const given =
    index < MAX_QUOTED_VALUE_CHARS - 10 ? quote(text) : `…${quote(text.slice(index - 20))}`;
  return reject(
    'unpaired_surrogate',
    `${field}: the ${what} holds an unpaired surrogate (${unit} at index ${index}), which UTF-8 cannot encode; ` +
      `strings must be well-formed Unicode (given ${given})`,
    field,
  );
}

function reject(code: RejectReason['code'], message: string, field?: string): EventValidation {
  return { ok: false, reason: field === undefined ? { code, message } : { code, message, field } };
}

/** Quotes a value for an error message, cut to a readable length. */
function quote(value: unknown): string {
  // Only the start of a long string shows, so only that is serialised (a whole 500-byte line cost
  // 0.3 µs). The 80 characters shown hold at most 79 of the string, each written as its neighbours
  // decide (a surrogate alone is escaped, a pair is not), so a cut at 80 quotes the same.
  const shown =
    typeof value === 'string' && value.length > MAX_QUOTED_VALUE_CHARS
      ? value.slice(0, MAX_QUOTED_VALUE_CHARS)
      : value;
  let text: string;
  try {
    // JSON.stringify writes NaN and ±Infinity as null, which would misquote them.
    text =
      shown === undefined || (typeof shown === 'number' && !Number.isFinite(shown))
        ? String(shown)
        : // JSON.stringify returns undefined for a symbol (a refused record key) or a function.
          (JSON.stringify(shown) ?? `(${typeof shown})`);
  } catch {
    // BigInt and cyclic values cannot be serialised; their type is enough to name them.
    text =
      typeof shown === 'bigint' ? `${shown}n` : Array.isArray(shown) ? '[…]' : `(${typeof shown})`;
  }
  return text.length > MAX_QUOTED_VALUE_CHARS ? `${text.slice(0, MAX_QUOTED_VALUE_CHARS)}…` : text;
}
