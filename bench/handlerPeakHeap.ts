/**
 * Run as its own process by the memory benchmark: folds one batch as large as
 * a Lambda payload may be (6 MB of invocation JSON) with in-memory
 * dependencies, and prints the peak resident set and the largest heap seen,
 * as JSON. `node --import tsx bench/handlerPeakHeap.ts streamfold|naive`.
 */
import { aggregationSettingsOf, compileMetrics } from '../core/aggregates/compileMetrics.js';
import { loadConfig } from '../core/config/loadConfig.js';
import { webShopCatalog } from '../examples/web-shop/catalog.js';
import { aggregateKinesisBatch } from '../functions/aggregate/aggregateKinesisBatch.js';
import { paddedEvents } from './benchEvents.js';
import { inMemoryDependencies } from './inMemoryFakes.js';
import { packedKinesisBatch } from './kinesisBatch.js';
import { InMemoryNaiveStore, naiveHandler } from './naiveHandler.js';

/** Lambda's limit on a synchronous invocation payload, bytes. */
const LAMBDA_PAYLOAD_BYTES = 6_000_000;

const variant = process.argv[2];
if (variant !== 'streamfold' && variant !== 'naive') {
  throw new Error(`variant must be "streamfold" or "naive" (given "${variant}")`);
}
const now = Date.parse('2026-11-22T10:30:00.000Z');
// A 500-byte event takes ~676 bytes of the payload (base64 plus its record's JSON): stay under 6 MB.
const count = Math.floor(LAMBDA_PAYLOAD_BYTES / 680);
const events = paddedEvents(count, { seed: 3, now: () => now - 60_000 });
// As Lambda hands it over: the parsed JSON of the invocation payload.
const payload = JSON.stringify(packedKinesisBatch(events, { arrivalMs: now }));
events.length = 0;
const batch = JSON.parse(payload);
let heapMax = 0;
const sampleHeap = () => {
  heapMax = Math.max(heapMax, process.memoryUsage().heapUsed);
};
globalThis.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const sampler = setInterval(sampleHeap, 1);
const metrics = compileMetrics(aggregationSettingsOf(loadConfig()));
if (variant === 'streamfold') {
  const deps = inMemoryDependencies(metrics, now);
  const apply = deps.store.apply.bind(deps.store);
  deps.store.apply = async (delta) => {
    sampleHeap();
    return apply(delta);
  };
  const { summary } = await aggregateKinesisBatch(batch, deps);
  if (summary.eventsFolded !== count) throw new Error(`folded ${summary.eventsFolded} of ${count}`);
} else {
  const store = new InMemoryNaiveStore();
  const add = store.add.bind(store);
  store.add = async (updates) => {
    if (store.calls % 1_000 === 0) sampleHeap();
    return add(updates);
  };
  await naiveHandler(batch, { metrics, catalog: webShopCatalog, store });
}
sampleHeap();
clearInterval(sampler);
process.stdout.write(
  `${JSON.stringify({
    variant,
    events: count,
    payloadBytes: payload.length,
    heapBeforeBytes: heapBefore,
    heapMaxBytes: heapMax,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  })}\n`,
);
