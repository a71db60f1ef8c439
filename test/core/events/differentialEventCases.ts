import type { EventTimeWindow } from '../../../core/events/validateEvent.js';
import { seededRandom } from '../../../core/util/seededRandom.js';
import { sampleEventGenerator } from '../../../examples/web-shop/sampleEvents.js';

/** One NDJSON line to validate, with the window to validate it in and how it was made. */
export interface DifferentialCase {
  /** `valid`, or the mutations applied, for reading a disagreement. */
  label: string;
  line: string;
  window: EventTimeWindow | undefined;
}

/** The instant the cases' times are spread around. */
export const DIFFERENTIAL_NOW = Date.parse('2026-11-22T10:00:00Z');

/** 6 h back, 5 min ahead: sample times spread over 8 h, so some fall outside. */
export const DIFFERENTIAL_WINDOW: EventTimeWindow = {
  now: DIFFERENTIAL_NOW,
  maxLatenessMs: 6 * 3_600_000,
  maxFutureSkewMs: 5 * 60_000,
};

type Json = Record<string, unknown>;
type Pick = <T>(items: readonly T[]) => T;

/**
 * Placeholders the line writer turns into what `JSON.stringify` cannot write:
 * a key spelt `"@@key:NAME"` becomes `"NAME"` (an own `__proto__`, a duplicate
 * key), a value `"@@raw:TEXT@@"` becomes the bare `TEXT` (`1e400`, `-0.0`).
 */
const keyAs = (name: string) => `@@key:${name}`;
const raw = (text: string) => `@@raw:${text}@@`;

function writeLine(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('"@@key:', '"')
    .replace(/"@@raw:([^@]*)@@"/g, '$1');
}

const ENVELOPE_FIELDS = ['id', 'type', 'time', 'source', 'data'] as const;

/** Values of every JSON type, for any field. */
const ANY_TYPE_VALUES: readonly unknown[] = [
  null,
  true,
  false,
  0,
  1,
  -1,
  '',
  'x',
  '1',
  [],
  {},
  ['DE'],
  { value: 1 },
  [[[]]],
];

/** Strings at the edges of length, pattern and Unicode handling. */
const EDGE_STRINGS: readonly string[] = [
  ' ',
  'DE',
  'de',
  'DE\n',
  '\nDE',
  'DE ',
  'DEU',
  'D',
  'EUR',
  'eur',
  'EUR\n',
  'EU',
  'ÄB',
  'ＤＥ',
  'D\u0000',
  '\ud800',
  '\udc00',
  'A\ud83d',
  '😀',
  '😀😀',
  'é',
  'e\u0301',
  'mobile',
  'Mobile',
  'mobile ',
  'desktop',
  'tablet',
  'laptop',
  '__proto__',
  'constructor',
  'a/b',
  'a-b_c',
  'ab\n',
  '/',
  '/product/1?q=ä😀',
  'a'.repeat(63),
  'a'.repeat(64),
  'a'.repeat(65),
  'a'.repeat(128),
  'a'.repeat(129),
  'a'.repeat(2048),
  'a'.repeat(2049),
  // Code points, not UTF-16 units, are what zod 4 measures: 64 emoji are 128 units.
  '😀'.repeat(32),
  '😀'.repeat(33),
  '😀'.repeat(64),
  '😀'.repeat(65),
  `${'😀'.repeat(63)}a`,
  '😀'.repeat(1024),
  '😀'.repeat(1025),
  '\ud800'.repeat(64),
  '\ud800'.repeat(65),
  `a${'\udc00\ud800'.repeat(32)}`,
];

/** Numbers at the edges of the catalog's bounds and of integers and doubles. */
const EDGE_NUMBERS: readonly unknown[] = [
  -0,
  0.5,
  1.5,
  2,
  999.99,
  1_000,
  1_000.000_000_1,
  1_001,
  1_000_000,
  1_000_000.01,
  1_000_001,
  10_000_000,
  10_000_000.5,
  10_000_001,
  86_399_999.5,
  86_400_000,
  86_400_001,
  2 ** 31,
  2 ** 32,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  1e308,
  -1e308,
  Number.MAX_VALUE,
  5e-324,
  -5e-324,
  1e-7,
  1.000_000_000_000_000_2,
  0.1 + 0.2,
  raw('1e400'),
  raw('-1e400'),
  raw('-0.0'),
  raw('0e0'),
  raw('1E3'),
  raw('1.0'),
  raw('1000.0000000000000001'),
  raw('9007199254740993'),
];

/** Bounds of each catalog field, and a value just past each. */
const FIELD_EDGES = new Map<string, readonly unknown[]>([
  ['durationMs', [0, -1, -0.5, 86_400_000, 86_400_000.5, 86_400_001]],
  ['quantity', [1, 0, 0.999, 1.5, 999.5, 1_000, 1_000.5, 1_001]],
  ['price', [0, -0.01, -Number.MIN_VALUE, 1_000_000, 1_000_000.000_001]],
  ['amount', [0, -0.01, 10_000_000, 10_000_000.000_01]],
  ['items', [1, 0, 1.5, 999.5, 1_000, 1_001, 1.000_000_1]],
]);

/** Event times: offsets, fractions, calendar edges and the formats zod refuses. */
const EDGE_TIMES: readonly string[] = [
  '2026-11-22T10:00:00Z',
  '2026-11-22T10:00:00.1Z',
  '2026-11-22T10:00:00.123456789Z',
  '2026-11-22T10:00:00+00:00',
  '2026-11-22T10:00:00-00:00',
  '2026-11-22T15:30:00+05:30',
  '2026-11-21T10:01:00-23:59',
  '2026-11-23T00:00:00+14:00',
  '2026-11-22T10:00:00+24:00',
  '2026-11-22T10:00:00+1:00',
  '2026-11-22T10:00:00+0100',
  '2026-11-22T10:00:00+01',
  '2026-11-22T10:00:00Z ',
  '2026-11-22T10:00:00Z\n',
  '2026-11-22T10:00:00',
  '2026-11-22T10:00:00z',
  '2026-11-22t10:00:00Z',
  '2026-11-22 10:00:00Z',
  '2026-11-22T10:00Z',
  '2026-11-22T10:00:00.Z',
  '2026-11-22T10:00:00,5Z',
  '2026-11-22T24:00:00Z',
  '2026-11-22T23:59:60Z',
  '2026-11-22',
  '2024-02-29T10:00:00Z',
  '2023-02-29T10:00:00Z',
  '2000-02-29T10:00:00Z',
  '1900-02-29T10:00:00Z',
  '2026-02-30T10:00:00Z',
  '2026-04-31T10:00:00Z',
  '2026-13-01T10:00:00Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '+002026-11-22T10:00:00Z',
  '1970-01-21T12:00:00Z',
  '2026-11-22T04:00:00.000Z',
  '2026-11-22T03:59:59.999Z',
  '2026-11-22T10:05:00.000Z',
  '2026-11-22T10:05:00.001Z',
  '１９７０-01-01T00:00:00Z',
];

const EDGE_TYPES: readonly unknown[] = [
  'page_view',
  'add_to_cart',
  'purchase',
  'Page_View',
  'PAGE_VIEW',
  'Purchase',
  'pageview',
  'page_view ',
  'signup',
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'a'.repeat(65),
];

/** A key that is not in any schema, at the envelope or payload level. */
const EXTRA_KEYS: readonly string[] = [
  'extra',
  'campaign',
  'constructor',
  'hasOwnProperty',
  'toString',
  '0',
  '',
  'ID',
  'Country',
];

/** Nesting just under, at and over the 32-level limit, as an extra payload field. */
function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = i % 2 === 0 ? [value] : { a: value };
  return value;
}

function fieldsOf(event: Json): string[] {
  const data = event.data;
  const payload =
    typeof data === 'object' && data !== null && !Array.isArray(data) ? Object.keys(data) : [];
  return [...ENVELOPE_FIELDS, ...payload.map((key) => `data.${key}`)];
}

/** Sets (or, with `remove`, deletes) a field named like `id` or `data.price`. */
function setField(event: Json, field: string, value: unknown, remove = false): void {
  const [head, tail] = field.split('.', 2) as [string, string | undefined];
  const target = tail === undefined ? event : (event[head] as Json);
  const key = tail ?? head;
  if (remove) delete target[key];
  else target[key] = value;
}

/** Copies an object keeping an insertion point for an extra key at a random position. */
function insertKey(object: Json, key: string, value: unknown, pick: Pick): Json {
  const entries = Object.entries(object);
  const at = pick([0, Math.floor(entries.length / 2), entries.length]);
  entries.splice(at, 0, [key, value]);
  return Object.fromEntries(entries);
}

/** Gives `event` the keys of `next`, in their order. */
function replaceContents(event: Json, next: Json): void {
  for (const key of Object.keys(event)) delete event[key];
  Object.assign(event, next);
}

type Mutation = (event: Json, pick: Pick) => string;

/** Each mutation changes one thing and returns a label for it. */
const MUTATIONS: readonly Mutation[] = [
  (event, pick) => {
    const field = pick(fieldsOf(event));
    setField(event, field, undefined, true);
    return `missing ${field}`;
  },
  (event, pick) => {
    const field = pick(fieldsOf(event));
    // A copy: a later mutation may change it, and the pool is shared by every case.
    const value = structuredClone(pick(ANY_TYPE_VALUES));
    setField(event, field, value);
    return `${field} = ${JSON.stringify(value)}`;
  },
  (event, pick) => {
    const field = pick(fieldsOf(event).filter((name) => name !== 'data'));
    const value = pick(EDGE_STRINGS);
    setField(event, field, value);
    return `${field} = string ${JSON.stringify(value).slice(0, 40)}`;
  },
  (event, pick) => {
    const payload = fieldsOf(event).filter((name) => name.startsWith('data.'));
    // An earlier mutation may have taken the payload away; an envelope field takes the number.
    const field = pick(payload.length > 0 ? payload : ENVELOPE_FIELDS);
    const name = field.slice('data.'.length);
    const edges = FIELD_EDGES.get(name);
    // Half the time the field's own bounds, which few of the general edges sit next to.
    const value = pick(edges !== undefined && pick([true, false]) ? edges : EDGE_NUMBERS);
    setField(event, field, value);
    return `${field} = number ${String(value)}`;
  },
  (event, pick) => {
    const value = pick(EDGE_TIMES);
    event.time = value;
    return `time = ${JSON.stringify(value)}`;
  },
  (event, pick) => {
    const value = pick(EDGE_TYPES);
    event.type = value;
    return `type = ${JSON.stringify(value)}`;
  },
  (event, pick) => {
    const key = pick(EXTRA_KEYS);
    const value = structuredClone(pick([...ANY_TYPE_VALUES, nested(3), 'DE']));
    const inData = pick([true, false]) && typeof event.data === 'object' && event.data !== null;
    if (inData) event.data = insertKey(event.data as Json, key, value, pick);
    else replaceContents(event, insertKey(event, key, value, pick));
    return `extra ${inData ? 'data.' : ''}${key}`;
  },
  (event, pick) => {
    // An own `__proto__` key, as JSON.parse makes it from text.
    const value = structuredClone(pick([{ id: 'x', country: 'DE' }, null, 1, [], 'x']));
    const inData = pick([true, false]) && typeof event.data === 'object' && event.data !== null;
    replaceContents(
      event,
      inData
        ? { ...event, data: insertKey(event.data as Json, keyAs('__proto__'), value, pick) }
        : insertKey(event, keyAs('__proto__'), value, pick),
    );
    return `own __proto__ in ${inData ? 'data' : 'envelope'}`;
  },
  (event, pick) => {
    // A duplicate key: JSON.parse keeps the last.
    const field = pick(['id', 'type', 'time', 'source']);
    const value = pick([...EDGE_TYPES, ...EDGE_TIMES.slice(0, 3), 'ok']);
    const first = pick([true, false]);
    const entries = Object.entries(event);
    entries.splice(first ? 0 : entries.length, 0, [keyAs(field), value]);
    replaceContents(event, Object.fromEntries(entries));
    return `duplicate ${field} ${first ? 'before' : 'after'}`;
  },
  (event, pick) => {
    const value = pick([[], [event.data], null, 'x', 1, { ...(event.data as Json), nested: {} }]);
    event.data = value;
    return `data = ${JSON.stringify(value).slice(0, 40)}`;
  },
  (event, pick) => {
    // Unpaired surrogates where no schema looks: a key, an array element, a nested value.
    const text = pick(['\ud800', 'a\udc00', '😀\ud83d', '\udc00\ud800', '😀']);
    const where = pick(['key', 'element', 'nested'] as const);
    const value = where === 'element' ? ['ok', text] : where === 'nested' ? { a: { b: text } } : 1;
    const key = where === 'key' ? text : 'extra';
    const inData = pick([true, false]) && typeof event.data === 'object' && event.data !== null;
    if (inData) event.data = insertKey(event.data as Json, key, value, pick);
    else replaceContents(event, insertKey(event, key, value, pick));
    return `${where} ${JSON.stringify(text)} in ${inData ? 'data' : 'envelope'}`;
  },
  (event, pick) => {
    const levels = pick([30, 31, 32, 33]);
    event.data = { ...(event.data as Json), deep: nested(levels) };
    return `data nested ${levels} more levels`;
  },
];

/** Turns one event into a whole line that is not an event object. */
const LINE_MUTATIONS: readonly ((line: string, pick: Pick) => [string, string])[] = [
  (line) => [`\uFEFF${line}`, 'byte order mark'],
  (line) => [` ${line}\t`, 'surrounding whitespace'],
  (line) => [`[${line}]`, 'array of the event'],
  (_, pick) => {
    const text = pick(['null', '[]', '1', '"x"', 'true', '{}']);
    return [text, `line ${text}`];
  },
  (line, pick) => {
    const cut = pick([1, 10, line.length - 1]);
    return [line.slice(0, cut), `truncated at ${cut}`];
  },
  (line) => [line.replace(/}$/, ',}'), 'trailing comma'],
  // JSON.stringify escapes an unpaired surrogate; a line may hold one as it is, or escape a pair.
  (line, pick) => {
    const text = pick([
      '\ud800',
      '\\ud800',
      '\\ud83d\\ude00',
      '\\u00e9',
      '\\\\ud83d\\ude00',
      '\\ud83d\\\\ude00',
      '\\uDBFF\\uDFFF\\uDC00',
    ]);
    return [
      line.replace('"source":"', `"source":"${text}`),
      `source starts ${JSON.stringify(text)}`,
    ];
  },
];

/** A time with the given offset (minutes east of UTC) and fraction digits. */
function timeWithOffset(ms: number, offsetMinutes: number, fractionDigits: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString();
  const fraction = fractionDigits === 0 ? '' : local.slice(19, 20 + Math.min(fractionDigits, 3));
  const extra = fractionDigits > 3 ? '0'.repeat(fractionDigits - 3) : '';
  if (offsetMinutes === 0) return `${local.slice(0, 19)}${fraction}${extra}Z`;
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local.slice(0, 19)}${fraction}${extra}${sign}${hh}:${mm}`;
}

/**
 * `count` NDJSON lines, the same every run for a seed: about a third valid
 * sample events (times in several offsets and precisions), the rest with one
 * to three mutations each, and a few that are not event objects at all.
 *
 * @example
 * for (const { line, window } of differentialEventCases(1_000, 7)) validateEventLine(line, catalog, window);
 */
export function differentialEventCases(count: number, seed: number): DifferentialCase[] {
  const random = seededRandom(seed);
  const pick: Pick = (items) => items[Math.floor(random() * items.length)] as (typeof items)[0];
  const times = seededRandom(seed + 1);
  const next = sampleEventGenerator({
    source: 'differential',
    random,
    // 8 h back to 10 min ahead of the window's now.
    now: () => DIFFERENTIAL_NOW - 8 * 3_600_000 + Math.floor(times() * (8 * 3_600_000 + 600_000)),
  });
  const cases: DifferentialCase[] = [];
  for (let i = 0; i < count; i++) {
    const sample = next();
    const timeMs = Date.parse(sample.time);
    // The generator's ids are random UUIDs; seeded ids keep every run identical.
    const seededId = () => Math.floor(random() * 2 ** 52).toString(36);
    const event: Json = {
      ...sample,
      id: seededId(),
      time: timeWithOffset(timeMs, pick([0, 0, 60, -300, 330, 840, -720]), pick([0, 1, 3, 6])),
      data: { ...sample.data },
    };
    const data = event.data as Json;
    if ('orderId' in data) data.orderId = seededId();
    // The optional field, which the generator leaves out, in half the page views.
    if (sample.type === 'page_view' && random() < 0.5) {
      data.durationMs = Math.floor(random() * 100_000);
    }
    const window = random() < 0.1 ? undefined : DIFFERENTIAL_WINDOW;
    const roll = random();
    if (roll < 0.35) {
      cases.push({ label: 'valid', line: writeLine(event), window });
      continue;
    }
    if (roll < 0.37) {
      const [line, label] = pick(LINE_MUTATIONS)(writeLine(event), pick);
      cases.push({ label, line, window });
      continue;
    }
    const labels: string[] = [];
    const mutations = pick([1, 1, 1, 2, 3]);
    for (let m = 0; m < mutations; m++) labels.push(pick(MUTATIONS)(event, pick));
    cases.push({ label: labels.join('; '), line: writeLine(event), window });
  }
  return cases;
}
