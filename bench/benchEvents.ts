import { encodeEventLine } from '../core/codec/ndjsonCodec.js';
import { seededRandom } from '../core/util/seededRandom.js';
import type { WebShopEvent } from '../examples/web-shop/catalog.js';
import { sampleEventGenerator } from '../examples/web-shop/sampleEvents.js';

/** Event size the benchmarks' "500-byte events" aim at: one NDJSON line, newline included. */
export const BENCH_EVENT_BYTES = 500;

/** Options of {@link paddedEventGenerator}. */
export interface PaddedEventOptions {
  /** Line size to reach, bytes (newline included). @default BENCH_EVENT_BYTES */
  targetBytes?: number;
  /** Seed of the random choices, so every run puts the same mix. @default 1 */
  seed?: number;
  /** Event time of each event, ms. @default Date.now */
  now?: () => number;
}

/**
 * Web-shop sample events padded to about `targetBytes` each, as NDJSON lines.
 * Page views get a longer `data.path` (a query string); cart adds and purchases,
 * whose fields are short and capped, get a `data.campaign` string, which the
 * catalog's schemas let through and the archive keeps. The mix is the sample
 * generator's (70 % page views, 20 % cart adds, 10 % purchases).
 *
 * @example
 * const next = paddedEventGenerator({ seed: 7 });
 * encodeEventLine(next()).length; // 500
 */
export function paddedEventGenerator(options: PaddedEventOptions = {}): () => WebShopEvent {
  const target = options.targetBytes ?? BENCH_EVENT_BYTES;
  const next = sampleEventGenerator({
    source: 'bench',
    random: seededRandom(options.seed ?? 1),
    ...(options.now ? { now: options.now } : {}),
  });
  return () => {
    const event = next();
    const missing = target - encodeEventLine(event).length;
    if (missing <= 0) return event;
    if (event.type === 'page_view') {
      // `?q=` plus filler; the path stays under the catalog's 2,048 characters.
      const suffix = `?q=${'x'.repeat(Math.max(0, missing - 3))}`;
      return { ...event, data: { ...event.data, path: `${event.data.path}${suffix}` } };
    }
    // `,"campaign":""` is 14 bytes of JSON before the filler.
    const campaign = 'c'.repeat(Math.max(0, missing - 14));
    // Not in the catalog's types: the schemas strip unknown fields on arrival, the archive keeps them.
    const data: Record<string, unknown> = { ...event.data, campaign };
    return { ...event, data } as unknown as WebShopEvent;
  };
}

/** `count` events from {@link paddedEventGenerator}. */
export function paddedEvents(count: number, options: PaddedEventOptions = {}): WebShopEvent[] {
  const next = paddedEventGenerator(options);
  return Array.from({ length: count }, () => next());
}
