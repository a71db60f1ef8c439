import { describe, expect, it } from 'vitest';
import {
  type EventValidation,
  validateEventLine,
  validateEventLineWithFastPath,
  validateEventObject,
} from '../../../core/events/validateEvent.js';
import { isWellFormedText } from '../../../core/text/isWellFormedText.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import { sampleEvent } from '../../helpers/events.js';

type Json = Record<string, unknown>;

/** Every entry point that validates: a parsed object, a line on the compiled path, zod alone. */
const PATHS: { name: string; validate: (event: Json) => EventValidation }[] = [
  { name: 'validateEventObject', validate: (event) => validateEventObject(event, webShopCatalog) },
  {
    name: 'validateEventLine (compiled fast path)',
    validate: (event) => validateEventLine(JSON.stringify(event), webShopCatalog),
  },
  {
    name: 'validateEventLine with zod alone',
    validate: (event) =>
      validateEventLineWithFastPath(JSON.stringify(event), webShopCatalog, undefined, undefined),
  },
];

/** A valid page view (its `data` spread so it can be changed), with `change` applied. */
function pageView(change: (event: Json) => void): Json {
  const event = sampleEvent('page_view', { time: '2026-11-22T10:00:00Z' }) as unknown as Json;
  event.data = { ...(event.data as Json) };
  change(event);
  return event;
}

describe.each(PATHS)('unpaired surrogates through $name', ({ validate }) => {
  it.each<{ name: string; change: (event: Json) => void; field: string; index: number }>([
    {
      name: 'source',
      change: (e) => Object.assign(e, { source: '\ud800' }),
      field: 'source',
      index: 0,
    },
    // Refused for the surrogate although the id pattern refuses it too: the code says why.
    { name: 'id', change: (e) => Object.assign(e, { id: 'ab\udc00' }), field: 'id', index: 2 },
    {
      name: 'type',
      change: (e) => Object.assign(e, { type: 'page_view\ud83d' }),
      field: 'type',
      index: 9,
    },
    {
      name: 'a payload field',
      change: (e) => Object.assign(e.data as Json, { path: '/😀\udc00\ud800' }),
      field: 'data.path',
      index: 3,
    },
    {
      name: 'a payload field the schema strips',
      change: (e) => Object.assign(e.data as Json, { note: 'x\ud800' }),
      field: 'data.note',
      index: 1,
    },
    {
      name: 'an array element',
      change: (e) => Object.assign(e.data as Json, { tags: ['ok', '\ud800'] }),
      field: 'data.tags.1',
      index: 0,
    },
    {
      name: 'a nested value',
      change: (e) => Object.assign(e.data as Json, { meta: { a: { b: '\udfff' } } }),
      field: 'data.meta.a.b',
      index: 0,
    },
    {
      name: 'a payload key',
      change: (e) => Object.assign(e.data as Json, { 'k\ud800': 1 }),
      field: 'data.k\\ud800',
      index: 1,
    },
    {
      name: 'an envelope key',
      change: (e) => Object.assign(e, { '\udc00': 'x' }),
      field: '\\udc00',
      index: 0,
    },
  ])('refuses one in $name with unpaired_surrogate naming $field', ({ change, field, index }) => {
    // Act
    const result = validate(pageView(change));

    // Assess
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason.code).toBe('unpaired_surrogate');
    expect(result.reason.field).toBe(field);
    expect(result.reason.message.startsWith(`${field}: the `)).toBe(true);
    expect(result.reason.message).toContain(`at index ${index}`);
    // The reason itself can be encoded: written to the rejects sink, sent as JSON.
    expect(isWellFormedText(result.reason.message)).toBe(true);
    expect(isWellFormedText(result.reason.field ?? '')).toBe(true);
  });

  it.each([
    ['an emoji (a surrogate pair)', '/😀'],
    ['U+FFFD', '/\ufffd'],
    ['text around U+D7FF and U+E000', '/\ud7ff\ue000'],
  ])('accepts %s', (_name, path) => {
    // Act
    const result = validate(pageView((e) => Object.assign(e.data as Json, { path })));

    // Assess
    expect(result.ok).toBe(true);
  });
});

describe('unpaired surrogates in the text of a line', () => {
  const line = JSON.stringify(sampleEvent('page_view', { source: 'SOURCE' }));

  it.each([
    ['an escape', '\\ud800'],
    ['the character itself', '\ud800'],
    ['an escaped low surrogate before an escaped high one', '\\udc00\\ud83d'],
    ['an escaped high surrogate before the text \\ude00', '\\ud83d\\\\ude00'],
    ['the text \\ud83d before an escaped low surrogate', '\\\\ud83d\\ude00'],
    ['an escaped pair before an escaped high surrogate', '\\ud83d\\ude00\\ud83d'],
  ])('refuses %s in a value', (_name, text) => {
    // Act
    const result = validateEventLine(line.replace('SOURCE', text), webShopCatalog);

    // Assess
    expect(!result.ok && result.reason).toMatchObject({
      code: 'unpaired_surrogate',
      field: 'source',
    });
  });

  it.each([
    ['an escaped pair', '\\ud83d\\ude00', '😀'],
    ['two escaped pairs in upper case', '\\uD83D\\uDE00\\uD83D\\uDE01', '😀😁'],
    ['another escape', '\\u00e9', 'é'],
    ['an escaped backslash before ud800', '\\\\ud800', '\\ud800'],
  ])('accepts %s', (_name, text, source) => {
    // Act
    const result = validateEventLine(line.replace('SOURCE', text), webShopCatalog);

    // Assess
    expect(result.ok && result.event.source).toBe(source);
  });

  it('refuses one in a key written as an escape', () => {
    // Act
    const result = validateEventLine(
      line.replace('"source":', '"\\ud800":1,"source":'),
      webShopCatalog,
    );

    // Assess
    expect(!result.ok && result.reason).toMatchObject({
      code: 'unpaired_surrogate',
      field: '\\ud800',
    });
  });

  it('quotes the text from a little before a surrogate far into a long string', () => {
    // Prepare
    const event = pageView((e) =>
      Object.assign(e.data as Json, { path: `/${'a'.repeat(300)}\ud800` }),
    );

    // Act
    const result = validateEventObject(event, webShopCatalog);

    // Assess
    expect(!result.ok && result.reason.message).toContain(`(given …"${'a'.repeat(20)}\\ud800")`);
  });
});
