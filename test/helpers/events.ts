import { randomUUID } from 'node:crypto';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import type {
  WebShopEventData as EventData,
  WebShopEventType as EventType,
} from '../../examples/web-shop/catalog.js';

/** Valid payloads of each sample catalog type; tests override only what they care about. */
const DEFAULT_DATA: { [T in EventType]: EventData<T> } = {
  page_view: { path: '/product/1', country: 'DE', device: 'mobile' },
  add_to_cart: { sku: 'SKU-1', category: 'books', quantity: 2, price: 12.5, country: 'FR' },
  purchase: { orderId: 'order-1', amount: 42.5, currency: 'EUR', items: 2, country: 'DE' },
};

/** Envelope fields and a partial payload to replace in a sample event. */
export interface SampleEventOverrides<T extends EventType> {
  id?: string;
  time?: string;
  source?: string;
  data?: Partial<EventData<T>>;
}

/**
 * A valid event of the sample catalog with a fresh UUID id and the current time.
 *
 * @example
 * const event = sampleEvent('purchase', { data: { amount: 10 } });
 */
export function sampleEvent<T extends EventType>(
  type: T,
  overrides: SampleEventOverrides<T> = {},
): StreamfoldEvent<T, EventData<T>> {
  return {
    id: overrides.id ?? randomUUID(),
    type,
    time: overrides.time ?? new Date().toISOString(),
    source: overrides.source ?? 'test',
    data: { ...DEFAULT_DATA[type], ...overrides.data } as EventData<T>,
  };
}
