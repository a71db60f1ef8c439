import { Logger } from '@aws-lambda-powertools/logger';
import type { AggregateDelta } from '../core/aggregates/AggregateFold.js';
import type { CompiledMetric } from '../core/aggregates/compileMetrics.js';
import { InMemoryGroupRegistry } from '../core/aggregates/InMemoryGroupRegistry.js';
import { addDecimalStrings } from '../core/decimal/addDecimalStrings.js';
import { webShopCatalog } from '../examples/web-shop/catalog.js';
import type {
  AggregateDependencies,
  AggregateStore,
} from '../functions/aggregate/aggregateKinesisBatch.js';
import type { ApplyOutcome } from '../functions/aggregate/DynamoAggregateStore.js';
import type { RejectEntry, RejectsSink } from '../functions/aggregate/RejectsSink.js';

/**
 * An aggregate store in memory: counts and sums per item, so the benchmark
 * measures the handler's own work and not a database.
 */
export class CountingAggregateStore implements AggregateStore {
  public readonly items = new Map<string, { count: number; sum: string }>();
  public calls = 0;

  public async apply(delta: AggregateDelta): Promise<ApplyOutcome> {
    this.calls++;
    const key = `${delta.pk}|${delta.sk}`;
    const item = this.items.get(key) ?? { count: 0, sum: '0' };
    item.count += delta.count;
    item.sum = addDecimalStrings(item.sum, delta.sum);
    this.items.set(key, item);
    return 'applied';
  }
}

/** A rejects sink that keeps the entries in memory. */
export class CollectingRejectsSink implements RejectsSink {
  public readonly entries: RejectEntry[] = [];

  public async write(entries: readonly RejectEntry[]): Promise<void> {
    this.entries.push(...entries);
  }
}

/**
 * The aggregate handler's dependencies with the store, the rejects sink and
 * the group registry in memory, a silent logger and a fixed clock.
 */
export function inMemoryDependencies(
  metrics: readonly CompiledMetric[],
  now: number,
): AggregateDependencies & { store: CountingAggregateStore; rejects: CollectingRejectsSink } {
  return {
    store: new CountingAggregateStore(),
    rejects: new CollectingRejectsSink(),
    groups: new InMemoryGroupRegistry(),
    metrics,
    catalog: webShopCatalog,
    // Wide enough that no benchmark event is refused for its time.
    maxLatenessMs: 7 * 86_400_000,
    maxFutureSkewMs: 300_000,
    logger: new Logger({ logLevel: 'SILENT' }),
    now: () => now,
  };
}
