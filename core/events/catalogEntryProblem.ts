/**
 * What is wrong with one entry of an event catalog, or `undefined` when it is
 * a zod 4 object schema, as every catalog entry must be. Checked by shape
 * rather than `instanceof`: a catalog declared outside this repository brings
 * its own copy of zod 4, whose schemas are the same shape but other classes.
 * The configuration's validation and the producers both ask it, so both say
 * the same thing.
 *
 * @example
 * catalogEntryProblem(z.string()); // 'must be a zod 4 object schema such as z.object({ ... }) (given a zod string schema)'
 */
export function catalogEntryProblem(schema: unknown): string | undefined {
  const type = zodTypeOf(schema);
  // zod/mini objects have the same definition but none of the methods validation uses.
  if (type === 'object' && typeof (schema as { optional?: unknown }).optional !== 'function') {
    return "is a zod/mini schema; declare the catalog with zod's full API (import { z } from 'zod')";
  }
  if (type === 'object') return undefined;
  return `must be a zod 4 object schema such as z.object({ ... }) (given ${describeValue(schema)})`;
}

/** A value as a message shows it: JSON for plain values, the kind of schema or object otherwise. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? typeof value;
  const type = zodTypeOf(value);
  if (type !== undefined) return `a zod ${type} schema`;
  if ('_def' in value) return 'a zod 3 schema';
  if (Array.isArray(value)) return 'an array';
  return Object.keys(value).length === 0 ? '{}' : 'an object that is not a zod schema';
}

function zodTypeOf(value: unknown): string | undefined {
  const type = (value as { _zod?: { def?: { type?: unknown } } } | null | undefined)?._zod?.def
    ?.type;
  return typeof type === 'string' ? type : undefined;
}
