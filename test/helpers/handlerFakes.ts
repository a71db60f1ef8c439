import { Logger } from '@aws-lambda-powertools/logger';
import type { KinesisStreamEvent } from 'aws-lambda';
import type {
  AggregateDelta,
  FoldableEvent,
  GroupAdmission,
} from '../../core/aggregates/AggregateFold.js';
import type { CompiledMetric } from '../../core/aggregates/compileMetrics.js';
import type {
  DedupeClaim,
  DedupeOutcome,
  EventDeduper,
} from '../../core/aggregates/EventDeduper.js';
import type { GroupRegistry } from '../../core/aggregates/GroupRegistry.js';
import { InMemoryGroupRegistry } from '../../core/aggregates/InMemoryGroupRegistry.js';
import type { WriteScope } from '../../core/aggregates/ShardLedger.js';
import { addDecimalStrings } from '../../core/decimal/addDecimalStrings.js';
import type { EventCatalog } from '../../core/events/catalog.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { webShopCatalog } from '../../examples/web-shop/catalog.js';
import type {
  AggregateDependencies,
  AggregateStore,
} from '../../functions/aggregate/aggregateKinesisBatch.js';
import type { ApplyOutcome } from '../../functions/aggregate/DynamoAggregateStore.js';
import type { RejectEntry, RejectsSink } from '../../functions/aggregate/RejectsSink.js';
import { ReferenceFold } from './ReferenceFold.js';

/**
 * In-memory dependencies of the aggregate handler that keep every figure and
 * can fail on demand: for tests that drive the handler through retries and
 * compare what it stored with the plain fold of the stream.
 */

/** What a store item holds, without its watermarks. */
export interface Figures {
  count: number;
  sum: string;
  min?: number;
  max?: number;
  histogram: Record<string, number>;
}

/**
 * A store with `DynamoAggregateStore`'s exactly-once rule (a watermark per
 * item, shard and lane; older lanes consulted up to where they end) and every
 * figure, that throttles or refuses on demand.
 */
export class FigureStore implements AggregateStore {
  public readonly items = new Map<string, Figures & { wm: Map<string, string> }>();
  /** Items (`pk|sk`) whose next apply throws a transient error. */
  public readonly failing = new Set<string>();
  /** Every apply attempt throws with this probability (random from `rng`). */
  public failRate = 0;
  public rng: () => number = Math.random;
  /** Values the store refuses (ValidationException), as DynamoDB would. */
  public refuses: ((delta: AggregateDelta) => boolean) | undefined;
  public applyCalls = 0;
  public refolds = 0;
  public refoldsWithRest = 0;

  public async apply(
    delta: AggregateDelta,
    scope: WriteScope,
    refold: (delta: AggregateDelta, afterOrder: string) => AggregateDelta | undefined,
  ): Promise<ApplyOutcome> {
    this.applyCalls++;
    const key = `${delta.pk}|${delta.sk}`;
    if (this.failing.delete(key)) throw new Error(`throttled on ${key}`);
    if (this.failRate > 0 && this.rng() < this.failRate) throw new Error(`random throttle ${key}`);
    if (this.refuses?.(delta)) {
      const error = new Error(`refused ${key}`);
      error.name = 'ValidationException';
      throw error;
    }
    const item: Figures & { wm: Map<string, string> } = this.items.get(key) ?? {
      count: 0,
      sum: '0',
      histogram: {},
      wm: new Map(),
    };
    let watermark: string | undefined;
    for (const lane of [
      scope.lane,
      ...scope.olderLanes.filter((l) => l.through >= delta.firstOrder).map((l) => l.lane),
    ]) {
      const w = item.wm.get(`${scope.shardId}~${lane}`);
      if (w !== undefined && (watermark === undefined || w > watermark)) watermark = w;
    }
    let pending: AggregateDelta | undefined = delta;
    if (watermark !== undefined && watermark >= delta.firstOrder) {
      if (watermark < delta.lastOrder) {
        this.refolds++;
        pending = refold(delta, watermark);
        if (pending) this.refoldsWithRest++;
      } else pending = undefined;
    }
    if (!pending) return 'already-applied';
    if (pending.count > 0) {
      item.count += pending.count;
      if (pending.hasValue) {
        item.sum = addDecimalStrings(item.sum, pending.sum);
        item.min = item.min === undefined ? pending.min : Math.min(item.min, pending.min);
        item.max = item.max === undefined ? pending.max : Math.max(item.max, pending.max);
      }
      for (const [b, c] of pending.histogram ?? [])
        item.histogram[b] = (item.histogram[b] ?? 0) + c;
    }
    item.wm.set(`${scope.shardId}~${scope.lane}`, pending.lastOrder);
    this.items.set(key, item);
    return 'applied';
  }

  public async wouldAccept(delta: AggregateDelta): Promise<boolean> {
    return !this.refuses?.(delta);
  }

  public async hasApplied(delta: AggregateDelta, scope: WriteScope): Promise<boolean> {
    const wm = this.items.get(`${delta.pk}|${delta.sk}`)?.wm.get(`${scope.shardId}~${scope.lane}`);
    return wm !== undefined && wm >= delta.lastOrder;
  }

  /** Figures without watermarks, items with count 0 left out, sorted. */
  public figures(): Record<string, Figures> {
    const out: Record<string, Figures> = {};
    for (const [key, { wm: _wm, ...figures }] of [...this.items].sort(([a], [b]) =>
      a < b ? -1 : 1,
    )) {
      if (figures.count === 0) continue;
      out[key] = normalize(figures);
    }
    return out;
  }
}

function normalize(f: Figures): Figures {
  const histogram: Record<string, number> = {};
  for (const k of Object.keys(f.histogram).sort())
    if (f.histogram[k]) histogram[k] = f.histogram[k] as number;
  const out: Figures = { count: f.count, sum: f.sum, histogram };
  if (f.min !== undefined) out.min = f.min;
  if (f.max !== undefined) out.max = f.max;
  return out;
}

/** Expected figures: the plain fold of `events` with `admission`. */
export function expectedFigures(
  metrics: readonly CompiledMetric[],
  events: readonly FoldableEvent[],
  admission?: GroupAdmission,
  omit?: (metric: CompiledMetric, event: StreamfoldEvent) => boolean,
): Record<string, Figures> {
  const ref = new ReferenceFold(metrics, admission, omit);
  for (const e of events) ref.add(e);
  const out: Record<string, Figures> = {};
  const deltas = [...ref.deltas()].sort((a, b) => (`${a.pk}|${a.sk}` < `${b.pk}|${b.sk}` ? -1 : 1));
  for (const d of deltas) {
    const f: Figures = {
      count: d.count,
      sum: d.hasValue ? addDecimalStrings('0', d.sum) : '0',
      histogram: Object.fromEntries(d.histogram ?? []),
    };
    if (d.hasValue) {
      f.min = d.min;
      f.max = d.max;
    }
    out[`${d.pk}|${d.sk}`] = normalize(f);
  }
  return out;
}

export class MemoryRejects implements RejectsSink {
  public readonly written: RejectEntry[] = [];
  public fail = false;
  public async write(entries: readonly RejectEntry[]): Promise<void> {
    if (this.fail) throw new Error('S3 down');
    this.written.push(...entries);
  }
}

/** First position to claim an id owns it; the same position again still owns it. */
export class MemoryDeduper implements EventDeduper {
  public readonly owners = new Map<string, string>();
  /** Claims whose id is here fail (once each) with a transient error. */
  public readonly failIds = new Set<string>();
  public failRate = 0;
  public rng: () => number = Math.random;
  public calls: DedupeClaim[][] = [];
  public async claim(claims: readonly DedupeClaim[]): Promise<DedupeOutcome[]> {
    this.calls.push([...claims]);
    return claims.map((c) => {
      if (this.failIds.delete(c.id)) return { error: new Error('throttled claim') };
      if (this.failRate > 0 && this.rng() < this.failRate) return { error: new Error('rand') };
      const owner = this.owners.get(c.id);
      if (owner === undefined) {
        this.owners.set(c.id, c.position);
        return 'first';
      }
      return owner === c.position ? 'first' : 'duplicate';
    });
  }
}

/** A registry that can fail per metric. */
export class FlakyRegistry implements GroupRegistry {
  public readonly inner = new InMemoryGroupRegistry();
  public readonly failing = new Set<string>();
  public failRate = 0;
  public rng: () => number = Math.random;
  public readonly admittedSets = new Map<string, Set<string>>();
  public async admit(metric: string, maxGroups: number, groups: readonly string[]) {
    if (this.failing.has(metric)) throw new Error(`registry down for ${metric}`);
    if (this.failRate > 0 && this.rng() < this.failRate) throw new Error('registry flake');
    const r = await this.inner.admit(metric, maxGroups, groups);
    const s = this.admittedSets.get(metric) ?? new Set<string>();
    for (const g of r) s.add(g);
    this.admittedSets.set(metric, s);
    return r;
  }
}

/** The handler's dependencies with the stores above, a silent logger and a fixed clock. */
export function handlerDeps(
  metrics: readonly CompiledMetric[],
  now: number,
  extra: Partial<AggregateDependencies> = {},
  catalog: EventCatalog = webShopCatalog,
): AggregateDependencies & { store: FigureStore; rejects: MemoryRejects } {
  return {
    store: new FigureStore(),
    rejects: new MemoryRejects(),
    metrics,
    groups: new InMemoryGroupRegistry(),
    catalog,
    maxLatenessMs: 7 * 86_400_000,
    maxFutureSkewMs: 300_000,
    logger: new Logger({ logLevel: 'SILENT' }),
    now: () => now,
    ...extra,
  } as AggregateDependencies & { store: FigureStore; rejects: MemoryRejects };
}

/** The records of `event` from `sequenceNumber` on: what Lambda delivers after a reported failure. */
export function fromSequence(
  event: KinesisStreamEvent,
  sequenceNumber: string,
): KinesisStreamEvent {
  const i = event.Records.findIndex((r) => r.kinesis.sequenceNumber === sequenceNumber);
  if (i < 0) throw new Error(`no record ${sequenceNumber}`);
  return { Records: event.Records.slice(i) };
}
