import { Logger } from '@aws-lambda-powertools/logger';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  aggregatePartitionKey,
  aggregateSortKey,
  bucketStart,
} from '../../../core/aggregates/aggregateKey.js';
import { compileMetrics } from '../../../core/aggregates/compileMetrics.js';
import { OTHER_GROUP } from '../../../core/aggregates/GroupRegistry.js';
import type { StreamfoldConfig } from '../../../core/config/configSchema.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import { addDecimalStrings } from '../../../core/decimal/addDecimalStrings.js';
import { canonicalDecimal } from '../../../core/decimal/canonicalDecimal.js';
import { compareDecimalStrings } from '../../../core/decimal/compareDecimalStrings.js';
import { divideDecimal } from '../../../core/decimal/divideDecimal.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import { aggregateKinesisBatch } from '../../../functions/aggregate/aggregateKinesisBatch.js';
import {
  AGGREGATE_ATTRIBUTES as A,
  DynamoAggregateStore,
} from '../../../functions/aggregate/DynamoAggregateStore.js';
import { DynamoGroupRegistry } from '../../../functions/aggregate/DynamoGroupRegistry.js';
import { AggregatesIndexMissingError } from '../../../functions/query/errors.js';
import { TOP_ORDERS, type TopOrder } from '../../../functions/query/parseQueryParameters.js';
import type {
  GroupsResponse,
  SeriesResponse,
  TopGroup,
  TopResponse,
} from '../../../functions/query/queryAggregates.js';
import {
  answerQueryRequest,
  type QueryDependencies,
  type QueryResponse,
} from '../../../functions/query/queryRoutes.js';
import { LOCAL_CREDENTIALS } from '../../../local/awsClients.js';
import type { RunningEmulators } from '../../../local/emulators/startEmulators.js';
import { createAggregatesTable } from '../../../local/provisionResources.js';
import { sampleEvent } from '../../helpers/events.js';
import { kinesisStreamEvent } from '../../helpers/kinesisStreamEvent.js';
import { seededRandom } from '../../helpers/seededRandom.js';
import { startTestEmulators } from '../../helpers/testEmulators.js';

const TABLE = 'range-reads';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const CAP = 3;
const base = loadConfig();
/** revenue capped at 3 groups, so later countries are refused and folded into `__other__`. */
const config: StreamfoldConfig = {
  ...base,
  metrics: base.metrics.map((metric) =>
    metric.name === 'revenue' ? { ...metric, maxGroups: CAP } : metric,
  ),
};
const now = Date.now();
/** 30 minute buckets starting on an hour, ending more than an hour before now. */
const firstBucket = bucketStart(now, HOUR) - 3 * HOUR;
const BUCKETS = 30;
const FIRST_COUNTRIES = ['DE', 'FR', 'US'] as const;
/** Seen only from bucket 15 on, after the first three filled the cap. */
const LATE_COUNTRIES = ['JP', 'BR', 'IN'] as const;
const DEVICES = ['mobile', 'desktop', 'tablet'] as const;
/** Extra page_views groups written directly, to page through many groups. */
const MANY_GROUPS = 250;

const minuteOf = (b: number) => new Date(firstBucket + b * MINUTE).toISOString();

/** Purchases and page views of buckets `[from, to)`, seeded. */
function eventsOf(from: number, to: number, seed: number): StreamfoldEvent[] {
  const random = seededRandom(seed);
  const list: StreamfoldEvent[] = [];
  for (let b = from; b < to; b++) {
    const countries = b < 15 ? FIRST_COUNTRIES : [...FIRST_COUNTRIES, ...LATE_COUNTRIES];
    for (let i = 0; i < 12; i++) {
      const time = new Date(firstBucket + b * MINUTE + Math.floor(random() * MINUTE)).toISOString();
      const country = countries[Math.floor(random() * countries.length)] as string;
      const amount = Math.round((1 + random() * 500) * 100) / 100;
      list.push(sampleEvent('purchase', { time, data: { amount, country } }));
      const device = DEVICES[(i / 3 + b) % DEVICES.length];
      if (i % 3 === 0) list.push(sampleEvent('page_view', { time, data: { device } }));
    }
  }
  return list;
}
const earlyEvents = eventsOf(0, 15, 5);
const lateEvents = eventsOf(15, BUCKETS, 6);

let emulators: RunningEmulators;
let dynamodb: DynamoDBClient;
/** A client of its own whose commands and items read are counted. */
let counted: DynamoDBClient;
const reads = { commands: [] as string[], items: 0 };

function resetReads(): void {
  reads.commands = [];
  reads.items = 0;
}

function batchOf(events: readonly StreamfoldEvent[], firstSequence: number): KinesisStreamEvent {
  const specs = [];
  for (let k = 0; k * 10 < events.length; k++) {
    specs.push({
      sequenceNumber: String(BigInt(firstSequence + k) * 10n ** 20n + 7n),
      lines: events.slice(k * 10, (k + 1) * 10),
    });
  }
  return kinesisStreamEvent(specs);
}

/** One aggregate item as `DynamoAggregateStore` writes it (main chunk only). */
function aggregateItem(
  metric: string,
  group: string,
  window: string,
  bucketMs: number,
  count: number,
): Record<string, AttributeValue> {
  return {
    [A.partitionKey]: { S: aggregatePartitionKey(metric, group) },
    [A.sortKey]: { S: aggregateSortKey(window, bucketMs) },
    [A.metric]: { S: metric },
    [A.group]: { S: group },
    [A.window]: { S: window },
    [A.bucketStart]: { S: new Date(bucketMs).toISOString() },
    [A.count]: { N: String(count) },
  };
}

async function putItems(items: readonly Record<string, AttributeValue>[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    const answer = await dynamodb.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [TABLE]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
        },
      }),
    );
    expect(Object.keys(answer.UnprocessedItems ?? {})).toEqual([]);
  }
}

function depsOf(pageLimit?: number, tableName = TABLE): QueryDependencies {
  return {
    dynamodb: counted,
    tableName,
    ...(pageLimit === undefined ? {} : { pageLimit }),
    settings: config,
    now: () => now,
  };
}

async function get(
  path: string,
  query: Record<string, string>,
  deps = depsOf(),
  onError?: (error: unknown) => void,
): Promise<QueryResponse> {
  return answerQueryRequest(
    { method: 'GET', path, query: new URLSearchParams(query) },
    deps,
    onError,
  );
}

/** Figures of one group over a range, as the filtered whole-table Scan used to combine them. */
interface ScannedGroup {
  count: number;
  sum?: string;
  min?: number;
  max?: number;
  items: number;
}

/**
 * What the query API answered before it had an index: a Scan of the whole
 * table filtered on metric, window and bucket range, items with `cnt` only.
 */
async function scanReference(
  metric: string,
  window: string,
  fromMs: number,
  toMs: number,
): Promise<Map<string, ScannedGroup>> {
  const groups = new Map<string, ScannedGroup>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamodb.send(
      new ScanCommand({
        TableName: TABLE,
        FilterExpression:
          '#metric = :metric AND #win = :win AND #bucket BETWEEN :from AND :to AND attribute_exists(#cnt)',
        ExpressionAttributeNames: {
          '#metric': A.metric,
          '#win': A.window,
          '#bucket': A.bucketStart,
          '#cnt': A.count,
        },
        ExpressionAttributeValues: {
          ':metric': { S: metric },
          ':win': { S: window },
          ':from': { S: new Date(fromMs).toISOString() },
          ':to': { S: new Date(toMs).toISOString() },
        },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const group = item[A.group]?.S as string;
      const entry = groups.get(group) ?? { count: 0, items: 0 };
      entry.items += 1;
      entry.count += Number(item[A.count]?.N);
      const sum = item[A.sum]?.N;
      if (sum !== undefined) {
        entry.sum =
          entry.sum === undefined ? canonicalDecimal(sum) : addDecimalStrings(entry.sum, sum);
      }
      const min = item[A.min]?.N;
      const max = item[A.max]?.N;
      if (min !== undefined) entry.min = Math.min(entry.min ?? Number(min), Number(min));
      if (max !== undefined) entry.max = Math.max(entry.max ?? Number(max), Number(max));
      groups.set(group, entry);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return groups;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function expectedGroups(scanned: Map<string, ScannedGroup>): GroupsResponse['groups'] {
  return [...scanned]
    .map(([group, { count }]) => ({ group, count }))
    .sort((a, b) => b.count - a.count || byName(a.group, b.group));
}

type By = TopOrder;

/** The top groups a Scan's figures rank, with every figure of a metric keeping them all. */
function expectedTop(scanned: Map<string, ScannedGroup>, by: By, withValues: boolean): TopGroup[] {
  const groups = [...scanned].map(([group, figures]): TopGroup => {
    if (!withValues || figures.sum === undefined) return { group, count: figures.count };
    const avgDecimal = divideDecimal(figures.sum, figures.count);
    return {
      group,
      count: figures.count,
      sum: Number(figures.sum),
      avg: Number(avgDecimal),
      ...(figures.min === undefined ? {} : { min: figures.min }),
      ...(figures.max === undefined ? {} : { max: figures.max }),
      sumDecimal: figures.sum,
      avgDecimal,
    };
  });
  const figure = (g: TopGroup) =>
    by === 'sum' ? g.sumDecimal : by === 'avg' ? g.avgDecimal : g[by];
  return groups.sort((a, b) => {
    const x = figure(a);
    const y = figure(b);
    const order =
      typeof x === 'string' && typeof y === 'string'
        ? compareDecimalStrings(y, x)
        : Number(y ?? Number.NEGATIVE_INFINITY) - Number(x ?? Number.NEGATIVE_INFINITY);
    return order || byName(a.group, b.group);
  });
}

/** Every page of a total series, followed through its cursors. */
async function totalPages(query: Record<string, string>, deps: QueryDependencies) {
  const pages: SeriesResponse[] = [];
  let cursor: string | undefined;
  do {
    const response = await get(
      '/api/series',
      { ...query, limit: '7', ...(cursor === undefined ? {} : { cursor }) },
      deps,
    );
    expect(response.status).toBe(200);
    const page = response.body as SeriesResponse;
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return pages;
}

beforeAll(async () => {
  const started = await startTestEmulators({ dynamodb: true });
  emulators = started.emulators;
  dynamodb = started.clients.dynamodb;
  counted = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${emulators.ports.dynamodb}`,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
  counted.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      reads.commands.push(context.commandName ?? 'unknown');
      const output = result.output as {
        Count?: number;
        Responses?: Record<string, readonly unknown[]>;
      };
      reads.items +=
        output.Count ??
        Object.values(output.Responses ?? {}).reduce((n, items) => n + items.length, 0);
      return result;
    },
    { step: 'initialize', name: 'countReads' },
  );
  await createAggregatesTable(dynamodb, TABLE);
  const handlerDeps = {
    store: new DynamoAggregateStore(dynamodb, TABLE),
    groups: new DynamoGroupRegistry(dynamodb, TABLE),
    rejects: { write: async () => undefined },
    metrics: compileMetrics(config),
    catalog: webShopCatalog,
    maxLatenessMs: 86_400_000,
    maxFutureSkewMs: 300_000,
    logger: new Logger({ logLevel: 'SILENT' }),
    now: () => now,
  };
  // Two batches: the late countries arrive after the first three filled revenue's cap.
  for (const [events, firstSequence] of [
    [earlyEvents, 1],
    [lateEvents, 1_000],
  ] as const) {
    const result = await aggregateKinesisBatch(batchOf(events, firstSequence), handlerDeps);
    expect(result.response.batchItemFailures).toEqual([]);
  }
  // 250 more page_views groups in two buckets (the items a group beyond a 1 MB page would be).
  const many: Record<string, AttributeValue>[] = [];
  for (let g = 0; g < MANY_GROUPS; g++) {
    const group = `device=d${String(g).padStart(3, '0')}`;
    many.push(aggregateItem('page_views', group, '1m', firstBucket + 10 * MINUTE, 1 + (g % 7)));
    many.push(aggregateItem('page_views', group, '1m', firstBucket + 20 * MINUTE, 1 + (g % 5)));
  }
  await putItems(many);
}, 60_000);

afterAll(async () => {
  counted?.destroy();
  dynamodb?.destroy();
  await emulators?.stop();
});

describe('GET /api/groups and /api/top without a table scan', () => {
  it('answers a metric with no events with no groups, from one index Query that reads nothing', async () => {
    // Prepare
    resetReads();
    const range = {
      metric: 'cart_quantity',
      window: '1m',
      since: minuteOf(0),
      until: minuteOf(29),
    };

    // Act
    const groups = await get('/api/groups', range);
    const top = await get('/api/top', { ...range, by: 'sum' });
    const total = await get('/api/series', range);

    // Assess
    expect(groups.status).toBe(200);
    expect((groups.body as GroupsResponse).groups).toEqual([]);
    expect((top.body as TopResponse).groups).toEqual([]);
    expect(total.body).toMatchObject({ points: [], groupCount: 0 });
    expect(reads.commands).toEqual(['QueryCommand', 'QueryCommand', 'QueryCommand']);
    expect(reads.items).toBe(0);
  });

  // [label, metric, first bucket, last bucket, window, page limits to compare]: page_views holds
  // 250+ groups, so pages of 50 items already span 11 index pages and 6 BatchGetItem requests.
  const ranges = [
    ['revenue, all 30 minutes', 'revenue', 0, 29, '1m', [1, 2, 7, 100]],
    ['revenue, minutes 20 to 25 (after the cap)', 'revenue', 20, 25, '1m', [1, 2, 7]],
    ['revenue, minute 7 alone', 'revenue', 7, 7, '1m', [1, 2]],
    ['revenue, the hour window', 'revenue', 0, 29, '1h', [1]],
    ['page_views, 250 groups and more', 'page_views', 0, 29, '1m', [50]],
    ['page_views, minute 10 alone (250 groups of one item)', 'page_views', 10, 10, '1m', [50]],
  ] as const;

  describe.each(ranges)('%s', (_label, metric, from, to, window, pageLimits) => {
    const range = { metric, window, since: minuteOf(from), until: minuteOf(to) };
    const windowMs = window === '1h' ? HOUR : MINUTE;
    const fromMs = bucketStart(Date.parse(range.since), windowMs);
    const toMs = bucketStart(Date.parse(range.until), windowMs);

    it('lists the groups and counts a filtered scan of the table finds, on every page size', async () => {
      // Prepare
      const scanned = await scanReference(metric, window, fromMs, toMs);
      const want = expectedGroups(scanned);
      const items = [...scanned.values()].reduce((n, group) => n + group.items, 0);
      const requests: number[] = [];

      for (const pageLimit of [undefined, ...pageLimits]) {
        // Act
        resetReads();
        const response = await get('/api/groups', range, depsOf(pageLimit));

        // Assess
        expect(response.status).toBe(200);
        expect((response.body as GroupsResponse).groups, `page limit ${pageLimit}`).toEqual(want);
        requests.push(reads.commands.length);
      }
      expect(want.length).toBeGreaterThan(0);
      // The answer did span pages: the index alone needs ceil(items / limit) Queries.
      pageLimits.forEach((pageLimit, i) => {
        expect(requests[i + 1]).toBeGreaterThanOrEqual(Math.ceil(items / pageLimit));
      });
    });

    it.each(TOP_ORDERS)(
      'ranks by %s over the range exactly as the scanned figures rank, on every page size',
      async (by) => {
        // Prepare
        const withValues = metric === 'revenue';
        const scanned = await scanReference(metric, window, fromMs, toMs);
        const want = expectedTop(scanned, by, withValues);

        for (const pageLimit of [undefined, pageLimits[pageLimits.length - 1]]) {
          // Act
          const response = await get(
            '/api/top',
            { ...range, by: withValues ? by : 'count', limit: '1000' },
            depsOf(pageLimit),
          );

          // Assess
          expect(response.status).toBe(200);
          const body = response.body as TopResponse;
          expect(body.groups, `page limit ${pageLimit}`).toEqual(
            withValues ? want : expectedTop(scanned, 'count', false),
          );
        }
      },
    );

    it('pages the total of the range alike on every page size, over the scanned groups', async () => {
      // Prepare
      const scanned = await scanReference(metric, window, fromMs, toMs);
      const largest = expectedGroups(scanned)[0]?.group;

      // Act
      const byDefault = await totalPages(range, depsOf());
      const bySmallPages = await totalPages(range, depsOf(pageLimits[0]));

      // Assess
      expect(bySmallPages).toEqual(byDefault);
      for (const page of byDefault) {
        expect(page.groupCount).toBe(scanned.size);
        expect(page.largestGroup).toBe(largest);
      }
      const points = byDefault.flatMap((page) => page.points);
      expect(points.reduce((n, point) => n + point.count, 0)).toBe(
        [...scanned.values()].reduce((n, group) => n + group.count, 0),
      );
    });
  });

  it('shows the groups a full registry refused as __other__, as the scan did, losing no events', async () => {
    // Prepare: the registry holds the cap; JP, BR and IN came later and were refused
    const registry = new DynamoGroupRegistry(dynamodb, TABLE);
    const range = { metric: 'revenue', window: '1m', since: minuteOf(0), until: minuteOf(29) };
    const purchases = [...earlyEvents, ...lateEvents].filter((e) => e.type === 'purchase').length;

    // Act
    const response = await get('/api/groups', range);
    const early = await get('/api/groups', { ...range, until: minuteOf(14) });

    // Assess
    expect(await registry.groupCount('revenue')).toBe(CAP);
    const groups = (response.body as GroupsResponse).groups;
    expect(groups.map(({ group }) => group).sort()).toEqual(
      ['country=DE', 'country=FR', 'country=US', OTHER_GROUP].sort(),
    );
    expect(groups.reduce((n, { count }) => n + count, 0)).toBe(purchases);
    expect(groups).toEqual(
      expectedGroups(await scanReference('revenue', '1m', firstBucket, firstBucket + 29 * MINUTE)),
    );
    // Before the late countries: no event was refused, so no __other__.
    expect((early.body as GroupsResponse).groups.map(({ group }) => group)).not.toContain(
      OTHER_GROUP,
    );
  });

  it('issues no Scan and reads the same items however many other metrics, windows and times the table holds', async () => {
    // Prepare
    const range = { metric: 'revenue', window: '1m', since: minuteOf(5), until: minuteOf(24) };
    const inRange = [
      ...(
        await scanReference('revenue', '1m', firstBucket + 5 * MINUTE, firstBucket + 24 * MINUTE)
      ).values(),
    ].reduce((n, group) => n + group.items, 0);
    resetReads();
    await get('/api/groups', range);
    const before = { ...reads };

    // 2,280 more items: another metric in the same minutes, revenue a day earlier, in another
    // window and in groups nobody asked about outside the range.
    const noise: Record<string, AttributeValue>[] = [];
    for (let b = 0; b < BUCKETS; b++) {
      for (let g = 0; g < 40; g++) {
        noise.push(
          aggregateItem('cart_quantity', `category=c${g}`, '1m', firstBucket + b * MINUTE, 2),
        );
      }
    }
    for (let b = 0; b < 300; b++) {
      noise.push(
        aggregateItem('revenue', 'country=DE', '1m', firstBucket - 1_440 * MINUTE + b * MINUTE, 1),
      );
      noise.push(aggregateItem('revenue', 'country=DE', '1d', firstBucket - b * 1_440 * MINUTE, 1));
    }
    for (let b = 0; b < 480; b++) {
      noise.push(aggregateItem('revenue', 'country=ZZ', '1m', firstBucket + (30 + b) * MINUTE, 1));
    }
    await putItems(noise);
    resetReads();

    // Act
    const response = await get('/api/groups', range);

    // Assess
    expect(response.status).toBe(200);
    expect(before.commands).not.toContain('ScanCommand');
    expect([...reads.commands].sort()).toEqual([...before.commands].sort());
    expect(new Set(reads.commands)).toEqual(new Set(['QueryCommand']));
    // Each item in the range read twice: its key from the index, then the item itself.
    expect(before.items).toBe(2 * inRange);
    expect(reads.items).toBe(before.items);
    expect(noise.length).toBe(2_280);
  });

  it('reads single-item groups with BatchGetItem, 100 keys per request, and still no Scan', async () => {
    // Prepare
    resetReads();

    // Act
    const response = await get('/api/groups', {
      metric: 'page_views',
      window: '1m',
      since: minuteOf(10),
      until: minuteOf(10),
    });

    // Assess
    expect(response.status).toBe(200);
    expect((response.body as GroupsResponse).groups.length).toBeGreaterThanOrEqual(MANY_GROUPS);
    const batches = reads.commands.filter((name) => name === 'BatchGetItemCommand').length;
    expect(batches).toBe(3);
    expect(reads.commands).not.toContain('ScanCommand');
  });

  it('answers 500 naming the byMetric index when the table has none', async () => {
    // Prepare: a table as created before the index existed
    await dynamodb.send(
      new CreateTableCommand({
        TableName: 'no-index',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: A.partitionKey, AttributeType: 'S' },
          { AttributeName: A.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: A.partitionKey, KeyType: 'HASH' },
          { AttributeName: A.sortKey, KeyType: 'RANGE' },
        ],
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const errors: unknown[] = [];

    // Act
    const response = await get(
      '/api/groups',
      { metric: 'revenue', window: '1m' },
      depsOf(undefined, 'no-index'),
      (error) => errors.push(error),
    );

    // Assess
    expect(response.status).toBe(500);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(AggregatesIndexMissingError);
    expect((errors[0] as Error).message).toMatch(/table no-index has no index byMetric/);
  });
});
