import { randomUUID } from 'node:crypto';
import type { SampleEventOptions } from '../../core/events/SampleEventFactory.js';
import type { WebShopEvent } from './catalog.js';

const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'ES', 'IT', 'NL', 'PL', 'SE', 'JP'] as const;
const DEVICES = ['desktop', 'mobile', 'tablet'] as const;
const CATEGORIES = ['books', 'games', 'garden', 'kitchen', 'music', 'toys'] as const;
const PATHS = [
  '/',
  '/search',
  '/cart',
  '/checkout',
  '/product/1',
  '/product/2',
  '/product/3',
] as const;

/**
 * Generates plausible web-shop events: mostly page views, some cart adds, a
 * few purchases. `random` makes the stream reproducible in tests.
 *
 * @example
 * const next = sampleEventGenerator({ source: 'demo' });
 * const event = next(); // { id, type: 'page_view', time, source: 'demo', data: {...} }
 */
export function sampleEventGenerator(options: SampleEventOptions = {}): () => WebShopEvent {
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const source = options.source ?? 'web-shop';
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  return () => {
    const roll = random();
    const base = { id: randomUUID(), time: new Date(now()).toISOString(), source };
    const country = pick(COUNTRIES);
    if (roll < 0.7) {
      return {
        ...base,
        type: 'page_view',
        data: { path: pick(PATHS), country, device: pick(DEVICES) },
      };
    }
    if (roll < 0.9) {
      return {
        ...base,
        type: 'add_to_cart',
        data: {
          sku: `SKU-${Math.floor(random() * 1_000)}`,
          category: pick(CATEGORIES),
          quantity: 1 + Math.floor(random() * 5),
          price: Math.round(random() * 20_000) / 100,
          country,
        },
      };
    }
    return {
      ...base,
      type: 'purchase',
      data: {
        orderId: randomUUID(),
        // Whole cents, so sums stay exact in decimal.
        amount: Math.round(random() * 50_000) / 100,
        currency: 'EUR',
        items: 1 + Math.floor(random() * 4),
        country,
      },
    };
  };
}
