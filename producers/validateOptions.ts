import { ProducerError } from './errors.js';

/** Returns `value` if it is a finite number above zero; throws naming the option otherwise. */
export function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0))
    throw new ProducerError(`${name} must be a positive number (given ${value})`);
  return value;
}

/** Returns `value` if it is a finite number of zero or more; throws naming the option otherwise. */
export function nonNegative(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new ProducerError(`${name} must be zero or a positive number (given ${value})`);
  }
  return value;
}

/** The longest delay a Node.js timer takes; longer ones fire after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Returns `value` if it is at most `max`; throws naming the option otherwise. */
export function atMost(name: string, value: number, max: number): number {
  if (value > max) throw new ProducerError(`${name} must be at most ${max} (given ${value})`);
  return value;
}

/**
 * Checks that `catalog` is an event catalog: an object mapping type names to
 * zod object schemas. Callers from JavaScript get no compile-time check, and
 * without a catalog every `put()` would fail one by one.
 */
export function requireCatalog(catalog: unknown): void {
  const entries =
    typeof catalog === 'object' && catalog !== null ? Object.entries(catalog) : undefined;
  if (!entries || entries.length === 0) {
    throw new ProducerError(
      `catalog must map event types to zod object schemas, e.g. { signup: z.object({ ... }) } (given ${describe(catalog)})`,
    );
  }
  for (const [type, schema] of entries) {
    if ((schema as { _zod?: { def?: { type?: unknown } } } | null)?._zod?.def?.type !== 'object') {
      throw new ProducerError(
        `catalog.${type} must be a zod 4 object schema such as z.object({ ... }) (given ${describe(schema)})`,
      );
    }
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? typeof value;
  return Array.isArray(value) ? 'an array' : Object.keys(value).length === 0 ? '{}' : 'an object';
}
