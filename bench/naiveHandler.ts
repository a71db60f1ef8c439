import type { KinesisStreamEvent } from 'aws-lambda';
import type { CompiledMetric } from '../core/aggregates/compileMetrics.js';
import type { EventCatalog } from '../core/events/catalog.js';
import { envelopeSchema } from '../core/events/envelope.js';

/** One event's contribution to one aggregate item. */
export interface NaiveUpdate {
  pk: string;
  sk: string;
  value: number | undefined;
}

/** Where the naive handler writes: one call per event. */
export interface NaiveStore {
  add(updates: readonly NaiveUpdate[]): Promise<void>;
}

/**
 * The straightforward handler streamfold is measured against: per record,
 * decode and split; per event, `JSON.parse`, zod-parse the envelope and the
 * payload, and call the store once with that event's updates. No batch fold,
 * so writes scale with events rather than with distinct items.
 */
export async function naiveHandler(
  event: KinesisStreamEvent,
  deps: { metrics: readonly CompiledMetric[]; catalog: EventCatalog; store: NaiveStore },
): Promise<{ events: number; rejected: number }> {
  let events = 0;
  let rejected = 0;
  for (const record of event.Records) {
    const text = Buffer.from(record.kinesis.data, 'base64').toString('utf8');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        const parsed = envelopeSchema.parse(JSON.parse(line));
        const schema = deps.catalog[parsed.type];
        if (!schema) throw new Error(`unknown type ${parsed.type}`);
        const data = schema.parse(parsed.data);
        const validated = { ...parsed, data };
        const timeMs = Date.parse(validated.time);
        const updates: NaiveUpdate[] = [];
        for (const metric of deps.metrics) {
          if (!metric.types.has(validated.type)) continue;
          const raw = metric.readValue?.(validated);
          const value = typeof raw === 'number' ? raw : undefined;
          const pk = `${metric.name}#${metric.groupOf(validated)}`;
          for (const window of metric.windows) {
            const start = Math.floor(timeMs / window.sizeMs) * window.sizeMs;
            updates.push({ pk, sk: `${window.name}#${new Date(start).toISOString()}`, value });
          }
        }
        await deps.store.add(updates);
        events++;
      } catch {
        // The naive handler only counts bad lines; streamfold writes them to the rejects sink.
        rejected++;
      }
    }
  }
  return { events, rejected };
}

/** A {@link NaiveStore} in memory: count and sum per item. */
export class InMemoryNaiveStore implements NaiveStore {
  public readonly items = new Map<string, { count: number; sum: number }>();
  public calls = 0;

  public async add(updates: readonly NaiveUpdate[]): Promise<void> {
    this.calls++;
    for (const { pk, sk, value } of updates) {
      const key = `${pk}|${sk}`;
      const item = this.items.get(key) ?? { count: 0, sum: 0 };
      item.count += 1;
      item.sum += value ?? 0;
      this.items.set(key, item);
    }
  }
}
