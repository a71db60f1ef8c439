import { z } from 'zod';
import { defineCatalog, type TypedEvent } from '../../core/events/catalog.js';

/** Two-letter country code, upper case (ISO 3166-1 alpha-2 shape). */
const countryCode = z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter upper-case country code');

/**
 * The event catalog of the shipped example, a web shop: page views, cart adds
 * and purchases. `streamfold.config.ts` declares it; a team replaces it with
 * its own catalog in its own configuration.
 */
export const webShopCatalog = defineCatalog({
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
});

/** The web shop's catalog type. */
export type WebShopCatalog = typeof webShopCatalog;

/** An event of the web shop's catalog, `data` typed by its type. */
export type WebShopEvent = TypedEvent<WebShopCatalog>;

/** The web shop's event types. */
export type WebShopEventType = keyof WebShopCatalog;

/** The `data` payload of web-shop event type `T`. */
export type WebShopEventData<T extends WebShopEventType> = z.output<WebShopCatalog[T]>;
