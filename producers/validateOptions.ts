import { catalogEntryProblem, describeValue } from '../core/events/catalogEntryProblem.js';
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
      `catalog must map event types to zod object schemas, e.g. { signup: z.object({ ... }) } (given ${describeValue(catalog)})`,
    );
  }
  for (const [type, schema] of entries) {
    const problem = catalogEntryProblem(schema);
    if (problem) throw new ProducerError(`catalog.${type} ${problem}`);
  }
}
