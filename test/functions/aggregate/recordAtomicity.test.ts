import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  aggregationSettingsOf,
  type CompiledMetric,
  compileMetrics,
} from '../../../core/aggregates/compileMetrics.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import { aggregateKinesisBatch } from '../../../functions/aggregate/aggregateKinesisBatch.js';
import { sampleEvent } from '../../helpers/events.js';
import { fromSequence, handlerDeps, MemoryDeduper } from '../../helpers/handlerFakes.js';
import { kinesisStreamEvent } from '../../helpers/kinesisStreamEvent.js';

/**
 * The handler folds each record as it reads it. A record is all or nothing:
 * its events count completely, or the record is reported failed and nothing
 * of it is in any figure.
 */

const config = loadConfig();
const metrics = compileMetrics(aggregationSettingsOf(config));
const NOW = Date.parse('2026-11-22T10:30:00Z');
const TIME = '2026-11-22T10:15:00Z';
const HOUR = '1h#2026-11-22T10:00:00.000Z';

const cart = (category: string, quantity: number, id?: string) =>
  sampleEvent('add_to_cart', { time: TIME, ...(id ? { id } : {}), data: { category, quantity } });

/**
 * The shipped metrics, with `cart_quantity`'s group key failing on category
 * `boom`: a stand-in for any fault of the fold no input should cause.
 */
function failingOnBoom(): CompiledMetric[] {
  return metrics.map((metric) =>
    metric.name === 'cart_quantity'
      ? {
          ...metric,
          groupOf: (event) => {
            if ((event.data as { category?: string }).category === 'boom') {
              throw new Error('group key failed');
            }
            return metric.groupOf(event);
          },
        }
      : metric,
  );
}

describe('a record is folded all or nothing', () => {
  it('refuses an event with an unpaired surrogate in a group value and counts the rest of its record', async () => {
    // Prepare: valid JSON, and zod's catalog accepts it, but UTF-8 (and so the archive) cannot hold it.
    const deps = handlerDeps(metrics, NOW);
    const batch = kinesisStreamEvent([
      { sequenceNumber: '101', lines: [cart('books', 3), cart('\ud800', 5), cart('books', 7)] },
    ]);

    // Act
    const { response, summary } = await aggregateKinesisBatch(batch, deps);

    // Assess
    const figures = deps.store.figures();
    expect(response.batchItemFailures).toEqual([]);
    expect(summary.eventsRejected).toBe(1);
    expect(deps.rejects.written.map((entry) => entry.reason)).toMatchObject([
      { code: 'unpaired_surrogate', field: 'data.category' },
    ]);
    expect(figures[`events#type=add_to_cart|${HOUR}`]?.count).toBe(2);
    expect(figures[`cart_quantity#category=books|${HOUR}`]?.sum).toBe('10');
    expect(Object.keys(figures).some((key) => key.includes('%EF%BF%BD'))).toBe(false);
  });

  it('groups by an object whose own toString is not a function, as its JSON', async () => {
    // Prepare: a user catalog may group by a record-valued field; JSON can set `toString`.
    const catalog = {
      ...webShopCatalog,
      tagged: z.object({ tag: z.record(z.string(), z.unknown()) }),
    };
    const byTag = compileMetrics({
      windows: { '1h': {} },
      metrics: [
        {
          name: 'by_tag',
          on: 'tagged',
          groupBy: ['data.tag'],
          maxGroups: 1_000,
          stats: ['count'],
          windows: ['1h'],
        },
      ],
    });
    const tagged = (tag: unknown, id: string) =>
      JSON.stringify({ id, type: 'tagged', time: TIME, source: 's', data: { tag } });
    const deps = handlerDeps(byTag, NOW, {}, catalog);
    const batch = kinesisStreamEvent([
      { sequenceNumber: '100', lines: [tagged({ a: 1 }, 'a'), tagged({ toString: 1 }, 'b')] },
    ]);

    // Act
    const { response } = await aggregateKinesisBatch(batch, deps);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(Object.keys(deps.store.figures())).toEqual([
      `by_tag#tag=%5Bobject%20Object%5D|${HOUR}`,
      `by_tag#tag=%7B%22toString%22%3A1%7D|${HOUR}`,
    ]);
  });

  it('leaves nothing of a record whose fold fails, and counts the records before it once', async () => {
    // Prepare: a metric whose group key fails on one value stands for any unforeseen fault.
    const deps = handlerDeps(failingOnBoom(), NOW);
    const batch = kinesisStreamEvent([
      { sequenceNumber: '100', lines: [cart('toys', 1)] },
      { sequenceNumber: '101', lines: [cart('books', 3), cart('boom', 5), cart('books', 7)] },
      { sequenceNumber: '102', lines: [cart('toys', 2)] },
    ]);

    // Act
    const first = await aggregateKinesisBatch(batch, deps);
    const replay = await aggregateKinesisBatch(fromSequence(batch, '101'), deps);

    // Assess: record 100 only, once; 101 and 102 are left to the retry.
    const figures = deps.store.figures();
    expect(first.response.batchItemFailures).toEqual([{ itemIdentifier: '101' }]);
    expect(replay.response.batchItemFailures).toEqual([{ itemIdentifier: '101' }]);
    expect(first.summary.eventsFolded).toBe(1);
    expect(figures[`events#type=add_to_cart|${HOUR}`]?.count).toBe(1);
    expect(figures[`cart_quantity#category=toys|${HOUR}`]?.sum).toBe('1');
    expect(figures[`cart_quantity#category=books|${HOUR}`]).toBeUndefined();
  });

  it('keeps dedupe claims and events aligned when a record fails and a copy is dropped', async () => {
    // Prepare: a copy of an id counted elsewhere makes the batch fold again from its records.
    const deduper = new MemoryDeduper();
    deduper.owners.set('copy', 'another position');
    const deps = handlerDeps(failingOnBoom(), NOW, { deduper });
    const batch = kinesisStreamEvent([
      { sequenceNumber: '100', lines: [cart('toys', 1, 'copy'), cart('toys', 2)] },
      { sequenceNumber: '101', lines: [cart('books', 3), cart('boom', 5)] },
    ]);

    // Act
    const { response, summary } = await aggregateKinesisBatch(batch, deps);

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '101' }]);
    expect(summary.eventsDuplicate).toBe(1);
    expect(deps.store.figures()[`cart_quantity#category=toys|${HOUR}`]?.sum).toBe('2');
    expect(deps.store.figures()[`cart_quantity#category=books|${HOUR}`]).toBeUndefined();
  });
});
