import type { z } from 'zod';
import type { StreamfoldEvent } from './envelope.js';

/**
 * An event catalog: every event type accepted and the zod schema of its
 * `data`. Producers validate against it before sending, the ingest and
 * aggregate functions on arrival, and metric definitions are checked against
 * it when the configuration is loaded. It is declared in the configuration
 * (`catalog`); `examples/web-shop/catalog.ts` is the shipped example.
 */
export type EventCatalog = Record<string, z.ZodObject>;

/**
 * An event of any type in catalog `C`, with `data` typed by that type's schema
 * (as the schema accepts it): what producers accept, so a wrong field is a
 * compile error before it is a runtime rejection.
 */
export type CatalogEvent<C extends EventCatalog> = {
  [T in keyof C & string]: StreamfoldEvent<T, z.input<C[T]>>;
}[keyof C & string];

/**
 * An event of any type in catalog `C`, with `data` typed as the schema
 * outputs it: what a generator of valid events produces.
 */
export type TypedEvent<C extends EventCatalog> = {
  [T in keyof C & string]: StreamfoldEvent<T, z.output<C[T]>>;
}[keyof C & string];

/**
 * Declares an event catalog, keeping each type's schema for type inference.
 *
 * @example
 * const catalog = defineCatalog({
 *   signup: z.object({ plan: z.enum(['free', 'pro']) }),
 * });
 * type Signup = CatalogEvent<typeof catalog>; // { type: 'signup'; data: { plan: ... } ... }
 */
export function defineCatalog<const C extends EventCatalog>(catalog: C): C {
  return catalog;
}
