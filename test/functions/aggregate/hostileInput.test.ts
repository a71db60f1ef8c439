import { Logger } from '@aws-lambda-powertools/logger';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AggregateDelta } from '../../../core/aggregates/AggregateFold.js';
import { aggregationSettingsOf, compileMetrics } from '../../../core/aggregates/compileMetrics.js';
import { GroundTruth } from '../../../core/aggregates/GroundTruth.js';
import { InMemoryGroupRegistry } from '../../../core/aggregates/InMemoryGroupRegistry.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import { addDecimalStrings } from '../../../core/decimal/addDecimalStrings.js';
import { parseDuration } from '../../../core/duration.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import {
  type AggregateStore,
  aggregateKinesisBatch,
  type BatchSummary,
} from '../../../functions/aggregate/aggregateKinesisBatch.js';
import type { RejectEntry } from '../../../functions/aggregate/RejectsSink.js';
import { type HostileCase, hostileCorpus } from '../../fixtures/hostile/hostileCorpus.js';
import { sampleEvent } from '../../helpers/events.js';
import { kinesisStreamEvent, type RecordSpec } from '../../helpers/kinesisStreamEvent.js';

const config = loadConfig();
const NOW = Date.parse('2026-11-22T10:30:00Z');
const window = {
  now: NOW,
  maxLatenessMs: parseDuration(config.events.maxLateness) ?? 0,
  maxFutureSkewMs: parseDuration(config.events.maxFutureSkew) ?? 0,
};
const corpus = hostileCorpus(window);
const GOOD_TIME = new Date(NOW - 120_000).toISOString();

/** Sums every delta per `pk|sk`; the corpus batch runs once, so no watermark is needed. */
class SummingStore implements AggregateStore {
  public readonly items = new Map<string, { count: number; sum: string | undefined }>();
  public async apply(delta: AggregateDelta): Promise<'applied'> {
    const key = `${delta.pk}|${delta.sk}`;
    const item = this.items.get(key) ?? { count: 0, sum: delta.hasValue ? '0' : undefined };
    item.count += delta.count;
    if (item.sum !== undefined) item.sum = addDecimalStrings(item.sum, delta.sum);
    this.items.set(key, item);
    return 'applied';
  }
}

function bytesOf(line: string | Uint8Array): Buffer {
  return typeof line === 'string' ? Buffer.from(line, 'utf8') : Buffer.from(line);
}

/** The record that carries case `index`: good events around it, unless it travels alone. */
function recordFor(
  hostile: HostileCase,
  index: number,
  good: StreamfoldEvent[],
): RecordSpec & { goodAround: boolean } {
  const sequenceNumber = String(1_000 + index);
  if (hostile.alone) return { sequenceNumber, data: bytesOf(hostile.line), goodAround: false };
  const before = sampleEvent('purchase', { id: `good-${index}-a`, time: GOOD_TIME });
  const after = sampleEvent('add_to_cart', { id: `good-${index}-b`, time: GOOD_TIME });
  good.push(before, after);
  const data = Buffer.concat([
    Buffer.from(`${JSON.stringify(before)}\n`),
    bytesOf(hostile.line),
    Buffer.from(`\n${JSON.stringify(after)}\n`),
  ]);
  return { sequenceNumber, data, goodAround: true };
}

describe('aggregateKinesisBatch on the hostile-input corpus', () => {
  const store = new SummingStore();
  const rejects: RejectEntry[] = [];
  const good: StreamfoldEvent[] = [];
  const specs = corpus.map((hostile, index) => recordFor(hostile, index, good));
  let response: Awaited<ReturnType<typeof aggregateKinesisBatch>>['response'];
  let summary: BatchSummary;

  beforeAll(async () => {
    ({ response, summary } = await aggregateKinesisBatch(kinesisStreamEvent(specs), {
      store,
      rejects: { write: async (entries) => void rejects.push(...entries) },
      groups: new InMemoryGroupRegistry(),
      metrics: compileMetrics(aggregationSettingsOf(config)),
      catalog: webShopCatalog,
      maxLatenessMs: window.maxLatenessMs,
      maxFutureSkewMs: window.maxFutureSkewMs,
      logger: new Logger({ logLevel: 'SILENT' }),
      now: () => NOW,
    }));
  });

  it('reports no batch item failure for the whole corpus', () => {
    expect(response.batchItemFailures).toEqual([]);
    expect(summary.failedRecords).toBe(0);
  });

  it.each(corpus.map((hostile, index) => [hostile.name, hostile, index] as const))(
    'handles %s as expected',
    (_name, hostile, index) => {
      const sequenceNumber = String(1_000 + index);
      const spec = specs[index];
      const hostileLine = spec?.goodAround ? 1 : 0;
      const own = rejects.filter((r) => r.sequenceNumber === sequenceNumber);
      if (hostile.expect.outcome !== 'rejected') {
        expect(own).toEqual([]);
        return;
      }
      expect(own).toHaveLength(1);
      const [entry] = own;
      expect(entry?.lineIndex).toBe(hostileLine);
      expect(entry?.reason.code).toBe(hostile.expect.code);
      expect(entry?.reason.field).toBe(hostile.expect.field);
      if (hostile.expect.field !== undefined)
        expect(entry?.reason.message).toContain(hostile.expect.field);
      for (const mention of hostile.expect.mentions)
        expect(entry?.reason.message).toContain(mention);
      // Rejects keep the raw input, cut to a bounded size.
      expect(entry?.raw.length).toBeLessThanOrEqual(64 * 1024);
    },
  );

  it('folds every good event and every harmless hostile one, exactly', () => {
    const truth = new GroundTruth(config);
    for (const event of good) truth.add(event);
    for (const hostile of corpus) {
      if (hostile.expect.outcome !== 'accepted') continue;
      const text = bytesOf(hostile.line)
        .toString('utf8')
        .replace(/^\uFEFF/, '');
      truth.add(JSON.parse(text) as StreamfoldEvent);
    }
    const stored = new Map([...store.items].map(([key, item]) => [key, item] as const));
    expect(stored.size).toBe(truth.items.size);
    for (const [key, want] of truth.items) {
      expect(stored.get(key)?.count, key).toBe(want.count);
      if (want.sum !== undefined) expect(stored.get(key)?.sum, key).toBe(want.sum);
    }
    expect(summary.eventsFolded).toBe(truth.events);
    expect(summary.eventsRejected).toBe(
      corpus.filter((hostile) => hostile.expect.outcome === 'rejected').length,
    );
  });

  it('leaves Object.prototype untouched', () => {
    const empty: Record<string, unknown> = {};
    expect(empty.polluted).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
    expect(Object.getPrototypeOf(empty)).toBe(Object.prototype);
  });

  it('folds groups named __proto__ and constructor into ordinary items', () => {
    const day = `1d#${GOOD_TIME.slice(0, 10)}T00:00:00.000Z`;
    for (const category of ['__proto__', 'constructor']) {
      expect(store.items.get(`cart_quantity#category=${category}|${day}`)).toEqual({
        count: 1,
        sum: '3',
      });
    }
  });
});
