/**
 * JSON text that `JSON.stringify` cannot produce: numbers such as `1e999`,
 * tokens that are not JSON at all (`NaN`), nesting thousands of levels deep.
 * {@link toJsonText} writes it as given.
 */
export class RawJson {
  public constructor(public readonly text: string) {}
}

/** An object written member by member, so one key can appear twice. */
export class JsonEntries {
  public constructor(public readonly entries: readonly (readonly [string, unknown])[]) {}
}

/** A value the fuzz generators build: plain JSON values, {@link RawJson} and {@link JsonEntries}. */
export type FuzzValue = unknown;

/**
 * Writes a fuzz value as JSON text: plain values as `JSON.stringify` would
 * (lone surrogates as `\ud800` escapes), {@link RawJson} verbatim and
 * {@link JsonEntries} member by member, duplicates kept.
 */
export function toJsonText(value: FuzzValue): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof JsonEntries) {
    return `{${value.entries.map(([key, member]) => `${JSON.stringify(key)}:${toJsonText(member)}`).join(',')}}`;
  }
  if (Array.isArray(value)) return `[${value.map((item) => toJsonText(item)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    // Own keys, `__proto__` included when it was defined as a member.
    const members = Object.keys(value).map(
      (key) => `${JSON.stringify(key)}:${toJsonText((value as Record<string, unknown>)[key])}`,
    );
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A copy of `object` with `key` set as an own member, `__proto__` included. */
export function withMember(object: object, key: string, member: FuzzValue): JsonEntries {
  const entries: [string, unknown][] = Object.entries(object).filter(([name]) => name !== key);
  entries.push([key, member]);
  return new JsonEntries(entries);
}
