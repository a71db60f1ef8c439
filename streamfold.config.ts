import { defineConfig } from './core/config/defineConfig.js';
import { webShopCatalog } from './examples/web-shop/catalog.js';
import { sampleEventGenerator } from './examples/web-shop/sampleEvents.js';

/**
 * The configuration of the shipped example, a web shop. The CDK stack, the
 * aggregate and ingest functions, the producers and the local runtime all read
 * it; change a value here and it changes everywhere. Another configuration is
 * chosen with `--config FILE` or `STREAMFOLD_CONFIG`.
 *
 * Only `catalog` and `metrics` must be declared; every other setting has a
 * default, stated and reasoned where the schema sets it
 * (`core/config/configSchema.ts`) and listed in README "Configuration".
 */
export default defineConfig({
  catalog: webShopCatalog,
  sampleEvents: sampleEventGenerator,
  windows: {
    // Minute buckets are for live dashboards; two days is enough to compare with yesterday.
    '1m': { retention: '2d' },
    '1h': { retention: '90d' },
    '1d': {},
  },
  metrics: [
    {
      name: 'events',
      on: ['page_view', 'add_to_cart', 'purchase'],
      groupBy: ['type'],
      stats: ['count'],
      windows: ['1m', '1h', '1d'],
    },
    {
      name: 'revenue',
      on: 'purchase',
      value: 'data.amount',
      groupBy: ['data.country'],
      stats: ['count', 'sum', 'min', 'max', 'avg', 'p50', 'p90', 'p99'],
      windows: ['1m', '1h', '1d'],
    },
    {
      name: 'cart_quantity',
      on: 'add_to_cart',
      value: 'data.quantity',
      groupBy: ['data.category'],
      stats: ['count', 'sum', 'min', 'max', 'avg', 'p50', 'p90', 'p99'],
      windows: ['1m', '1h', '1d'],
    },
    {
      name: 'page_views',
      on: 'page_view',
      groupBy: ['data.device'],
      stats: ['count'],
      windows: ['1m', '1h'],
    },
  ],
});
