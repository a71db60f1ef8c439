import { escapeForTerminal } from '../text/escapeForTerminal.js';
import { isWellFormedText } from '../text/isWellFormedText.js';

/** Where {@link unpairedSurrogateIn} found an unpaired surrogate. */
export interface UnpairedSurrogate {
  /**
   * Dotted path of the string, array indexes included (`data.tags.1`); for a
   * key, the path of the key itself, the key written as {@link escapeForTerminal}
   * writes it (`\ud800`), so that the path can be encoded and shown.
   */
  field: string;
  /** The string holding it: the value, or the key when {@link inKey}. */
  text: string;
  /** Whether the string is a key rather than a value. */
  inKey: boolean;
  /** Position of the unpaired surrogate in `text`, in UTF-16 units. */
  index: number;
}

/**
 * The first string in `root`, value or key, holding an unpaired UTF-16
 * surrogate (shallow fields before nested ones), or `undefined`. Such a
 * string comes from JSON such as `"\ud800"`, which `JSON.parse` reads as is,
 * but no UTF-8 text can carry it: encoded, it becomes U+FFFD, and DuckDB
 * reads an archived line holding the escape as a row of nulls.
 *
 * Iterative; `root` is expected to be refused first when nested too deep.
 *
 * @example
 * unpairedSurrogateIn({ data: { path: 'a\ud800' } });
 * // { field: 'data.path', text: 'a\ud800', inKey: false, index: 1 }
 */
export function unpairedSurrogateIn(root: object): UnpairedSurrogate | undefined {
  // Almost every event holds none: the first pass looks without building field names.
  if (!holdsUnpairedSurrogate(root)) return undefined;
  const values: object[] = [root];
  const fields: string[] = [''];
  for (let next = 0; next < values.length; next++) {
    const value = values[next] as Record<string, unknown>;
    const parent = fields[next] as string;
    const inArray = Array.isArray(value);
    for (const key of Object.keys(value)) {
      const keyWellFormed = inArray || isWellFormedText(key);
      const field = pathOf(parent, keyWellFormed ? key : escapeForTerminal(key));
      if (!keyWellFormed) return { field, text: key, inKey: true, index: firstUnpaired(key) };
      const child = value[key];
      if (typeof child === 'string') {
        if (!isWellFormedText(child)) {
          return { field, text: child, inKey: false, index: firstUnpaired(child) };
        }
      } else if (typeof child === 'object' && child !== null) {
        values.push(child);
        fields.push(field);
      }
    }
  }
  return undefined;
}

/** Whether any key or string value in `root` is not well-formed UTF-16. */
function holdsUnpairedSurrogate(root: object): boolean {
  const values: object[] = [root];
  for (let value = values.pop(); value !== undefined; value = values.pop()) {
    if (Array.isArray(value)) {
      for (const child of value) {
        if (typeof child === 'string') {
          if (!isWellFormedText(child)) return true;
        } else if (typeof child === 'object' && child !== null) values.push(child);
      }
      continue;
    }
    for (const key of Object.keys(value)) {
      if (!isWellFormedText(key)) return true;
      const child = (value as Record<string, unknown>)[key];
      if (typeof child === 'string') {
        if (!isWellFormedText(child)) return true;
      } else if (typeof child === 'object' && child !== null) values.push(child);
    }
  }
  return false;
}

function pathOf(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

/** Index of the first surrogate in `text` that is not half of a pair, or -1. */
function firstUnpaired(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xd800 || code > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++;
      continue;
    }
    return i;
  }
  return -1;
}
