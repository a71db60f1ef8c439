import { z } from 'zod';
import type { StreamfoldEvent } from './envelope.js';

/** Two-letter country code, upper case (ISO 3166-1 alpha-2 shape). */
const countryCode = z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter upper-case country code');

/**
 * The event catalog: every event type streamfold accepts and the schema of its
 * `data`. Producers validate against it before sending, the aggregate handler on
 * arrival, and metric definitions are checked against it at start-up.
 *
 * The sample catalog describes a web shop.
 */
export const eventCatalog = {
  page_view: z.object({
    path: z.string().min(1).max(2048),
    country: countryCode,
    device: z.enum(['desktop', 'mobile', 'tablet']),
    durationMs: z.number().int().min(0).max(86_400_000).optional(),
  }),
  add_to_cart: z.object({
    sku: z.string().min(1).max(64),
    category: z.string().min(1).max(64),
    quantity: z.number().int().min(1).max(1_000),
    price: z.number().min(0).max(1_000_000),
    country: countryCode,
  }),
  purchase: z.object({
    orderId: z.string().min(1).max(64),
    amount: z.number().min(0).max(10_000_000),
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be a three-letter upper-case currency code'),
    items: z.number().int().min(1).max(1_000),
    country: countryCode,
  }),
} as const satisfies Record<string, z.ZodObject>;

/** A map from event type to the zod schema of its `data`. */
export type EventCatalog = Record<string, z.ZodObject>;

/** The event types of the sample catalog. */
export type EventType = keyof typeof eventCatalog;

/** The `data` payload of event type `T`. */
export type EventData<T extends EventType> = z.infer<(typeof eventCatalog)[T]>;

/**
 * An event of any type in catalog `C`, with `data` typed by that type's schema:
 * what producers accept, so a wrong field is a compile error before it is a
 * runtime rejection.
 */
export type CatalogEvent<C extends EventCatalog = typeof eventCatalog> = {
  [T in keyof C & string]: StreamfoldEvent<T, z.input<C[T]>>;
}[keyof C & string];
