import { Logger } from '@aws-lambda-powertools/logger';
import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyStructuredResultV2, KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketStart } from '../../../core/aggregates/aggregateKey.js';
import { compileMetrics } from '../../../core/aggregates/compileMetrics.js';
import type { AggregateFigures } from '../../../core/aggregates/GroundTruth.js';
import { GroundTruth } from '../../../core/aggregates/GroundTruth.js';
import { summarizeAggregate } from '../../../core/aggregates/summarizeAggregate.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import {
  queryFunctionEnvironment,
  querySettingsOf,
} from '../../../core/config/queryFunctionEnvironment.js';
import { addDecimalStrings } from '../../../core/decimal/addDecimalStrings.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import { aggregateKinesisBatch } from '../../../functions/aggregate/aggregateKinesisBatch.js';
import { DynamoAggregateStore } from '../../../functions/aggregate/DynamoAggregateStore.js';
import { DynamoGroupRegistry } from '../../../functions/aggregate/DynamoGroupRegistry.js';
import type {
  GroupsResponse,
  SeriesPoint,
  SeriesResponse,
  TopResponse,
} from '../../../functions/query/queryAggregates.js';
import {
  answerQueryRequest,
  CLOSED_RANGE_CACHE_CONTROL,
  OPEN_RANGE_CACHE_CONTROL,
  type QueryDependencies,
} from '../../../functions/query/queryRoutes.js';
import { LOCAL_CREDENTIALS } from '../../../local/awsClients.js';
import type { RunningEmulators } from '../../../local/emulators/startEmulators.js';
import { createAggregatesTable } from '../../../local/provisionResources.js';
import { httpApiEvent, lambdaContext } from '../../helpers/apiGatewayEvent.js';
import { sampleEvent } from '../../helpers/events.js';
import { kinesisStreamEvent } from '../../helpers/kinesisStreamEvent.js';
import { seededRandom } from '../../helpers/seededRandom.js';
import { startTestEmulators } from '../../helpers/testEmulators.js';

const config = loadConfig();
const TABLE = 'query-aggregates';
const MINUTE = 60_000;
const EVENTS_PER_RECORD = 10;
const COUNTRIES = ['DE', 'FR', 'US', 'JP'] as const;
const now = Date.now();
/** 30 closed minute buckets, ending an hour before now. */
const firstBucket = bucketStart(now, MINUTE) - 90 * MINUTE;
const BUCKETS = 30;
const lastBucket = firstBucket + (BUCKETS - 1) * MINUTE;
const since = new Date(firstBucket).toISOString();
const until = new Date(lastBucket + MINUTE - 1).toISOString();

/** Purchases in every bucket (uneven per country) and page views, seeded. */
const events: StreamfoldEvent[] = (() => {
  const random = seededRandom(11);
  const list: StreamfoldEvent[] = [];
  for (let b = 0; b < BUCKETS; b++) {
    for (let i = 0; i < 20; i++) {
      const time = new Date(firstBucket + b * MINUTE + Math.floor(random() * MINUTE)).toISOString();
      // Weights 8:6:4:2 so the ranking by count is clear.
      const pick = random() * 20;
      const country = COUNTRIES[pick < 8 ? 0 : pick < 14 ? 1 : pick < 18 ? 2 : 3];
      const amount = Math.round((1 + random() * 500) * 100) / 100;
      list.push(sampleEvent('purchase', { time, data: { amount, country } }));
      if (i % 4 === 0) list.push(sampleEvent('page_view', { time }));
    }
  }
  return list;
})();
const truth = new GroundTruth(config);
for (const event of events) truth.add(event);

let emulators: RunningEmulators;
let dynamodb: DynamoDBClient;
let deps: QueryDependencies;

function batchOf(slice: readonly StreamfoldEvent[]): KinesisStreamEvent {
  const specs = [];
  for (let k = 0; k * EVENTS_PER_RECORD < slice.length; k++) {
    specs.push({
      sequenceNumber: String(BigInt(k + 1) * 10n ** 20n + 7n),
      lines: slice.slice(k * EVENTS_PER_RECORD, (k + 1) * EVENTS_PER_RECORD),
    });
  }
  return kinesisStreamEvent(specs);
}

async function get(path: string, query: Record<string, string>) {
  return answerQueryRequest({ method: 'GET', path, query: new URLSearchParams(query) }, deps);
}

/** Expected figures of one item, by the names a series point uses. */
function expectedPoint(
  figures: AggregateFigures,
  bucket: string,
  withValues: boolean,
): SeriesPoint {
  const summary = summarizeAggregate(figures);
  if (!withValues) return { bucket, count: summary.count };
  const point: SeriesPoint = { bucket, count: summary.count };
  for (const name of ['sum', 'avg', 'min', 'max', 'p50', 'p90', 'p99'] as const) {
    const value = summary[name];
    if (value !== undefined) point[name] = value;
  }
  // The ground truth's own exact sum: the stored decimal must be exactly it.
  if (figures.sum !== undefined) point.sumDecimal = figures.sum;
  if (summary.avgDecimal !== undefined) point.avgDecimal = summary.avgDecimal;
  return point;
}

/** Truth items of a metric, window and group, by bucket. */
function truthSeries(metric: string, window: string, group: string): [string, AggregateFigures][] {
  const prefix = `${metric}#${group}|${window}#`;
  return [...truth.items]
    .filter(([key]) => key.startsWith(prefix))
    .map(([key, figures]): [string, AggregateFigures] => [key.slice(prefix.length), figures])
    .sort(([a], [b]) => (a < b ? -1 : 1));
}

function expectPointsClose(got: SeriesPoint[], want: SeriesPoint[]): void {
  expect(got.map((p) => p.bucket)).toEqual(want.map((p) => p.bucket));
  got.forEach((point, i) => {
    const expected = want[i] as SeriesPoint;
    expect(Object.keys(point).sort(), point.bucket).toEqual(Object.keys(expected).sort());
    for (const [name, value] of Object.entries(expected)) {
      if (typeof value === 'number') {
        expect(point[name as keyof SeriesPoint], `${point.bucket} ${name}`).toBeCloseTo(value, 6);
      } else expect(point[name as keyof SeriesPoint], `${point.bucket} ${name}`).toBe(value);
    }
  });
}

beforeAll(async () => {
  const started = await startTestEmulators({ dynamodb: true });
  emulators = started.emulators;
  dynamodb = started.clients.dynamodb;
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
  const result = await aggregateKinesisBatch(batchOf(events), handlerDeps);
  expect(result.response.batchItemFailures).toEqual([]);
  // A histogram chunk that landed before its item's main update: figures, but no `cnt` yet.
  await dynamodb.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: {
        pk: { S: 'revenue#country=XX' },
        sk: { S: `1m#${new Date(firstBucket).toISOString()}` },
        metric: { S: 'revenue' },
        grp: { S: 'country=XX' },
        win: { S: '1m' },
        bucket: { S: new Date(firstBucket).toISOString() },
        'h:p500': { N: '3' },
      },
    }),
  );
  deps = { dynamodb, tableName: TABLE, settings: config, now: () => now };
}, 30_000);

afterAll(async () => {
  dynamodb?.destroy();
  await emulators?.stop();
});

describe('GET /api/series against items the aggregate handler wrote', () => {
  it.each(COUNTRIES)(
    'returns every bucket of revenue for country=%s as the ground truth says',
    async (country) => {
      // Act
      const response = await get('/api/series', {
        metric: 'revenue',
        group: `country=${country}`,
        window: '1m',
        since,
        until,
      });
      const body = response.body as SeriesResponse;

      // Assess
      const want = truthSeries('revenue', '1m', `country=${country}`).map(([bucket, figures]) =>
        expectedPoint(figures, bucket, true),
      );
      expect(response.status).toBe(200);
      expect(body).toMatchObject({ metric: 'revenue', group: `country=${country}`, window: '1m' });
      expect(body.nextCursor).toBeUndefined();
      expect(want.length).toBeGreaterThan(10);
      expectPointsClose(body.points, want);
    },
  );

  it('returns counts only for a count-only metric, in the hour window', async () => {
    // Act
    const response = await get('/api/series', {
      metric: 'events',
      group: 'type=page_view',
      window: '1h',
      since,
      until,
    });

    // Assess
    const want = truthSeries('events', '1h', 'type=page_view').map(([bucket, figures]) =>
      expectedPoint(figures, bucket, false),
    );
    expect((response.body as SeriesResponse).points).toEqual(want);
    expect(want.reduce((sum, p) => sum + p.count, 0)).toBe(
      events.filter((e) => e.type === 'page_view').length,
    );
  });

  it('skips an item without cnt', async () => {
    // Act
    const response = await get('/api/series', {
      metric: 'revenue',
      group: 'country=XX',
      window: '1m',
      since,
      until,
    });

    // Assess
    expect((response.body as SeriesResponse).points).toEqual([]);
  });

  it('pages through 30 buckets in 3 pages of at most 11, with no gap and no repeat', async () => {
    // Prepare
    const query = {
      metric: 'revenue',
      group: 'country=DE',
      window: '1m',
      since,
      until,
      limit: '11',
    };
    const pages: SeriesResponse[] = [];

    // Act
    let cursor: string | undefined;
    do {
      const response = await get('/api/series', { ...query, ...(cursor ? { cursor } : {}) });
      expect(response.status).toBe(200);
      const page = response.body as SeriesResponse;
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor && pages.length < 10);

    // Assess
    const all = (await get('/api/series', { ...query, limit: '1000' })).body as SeriesResponse;
    expect(all.points).toHaveLength(BUCKETS);
    expect(pages.map((page) => page.points.length)).toEqual([11, 11, 8]);
    expect(pages.flatMap((page) => page.points)).toEqual(all.points);
  });

  it('refuses a cursor of another series with 400 naming cursor', async () => {
    // Prepare
    const first = await get('/api/series', {
      metric: 'revenue',
      group: 'country=DE',
      window: '1m',
      since,
      until,
      limit: '2',
    });
    const cursor = (first.body as SeriesResponse).nextCursor as string;

    // Act
    const other = await get('/api/series', {
      metric: 'revenue',
      group: 'country=FR',
      window: '1m',
      since,
      until,
      cursor,
    });
    const garbage = await get('/api/series', { metric: 'revenue', cursor: 'not*a*cursor' });

    // Assess
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    for (const response of [other, garbage]) {
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        error: 'bad_parameter',
        message: expect.stringMatching(/^cursor: /),
      });
    }
  });

  it('caches a range of closed buckets briefly and a range reaching the current bucket not at all', async () => {
    // Act
    const closed = await get('/api/series', {
      metric: 'revenue',
      group: 'country=DE',
      window: '1m',
      since,
      until,
    });
    const endsInCurrent = await get('/api/series', {
      metric: 'revenue',
      group: 'country=DE',
      window: '1m',
      since,
      until: new Date(bucketStart(now, MINUTE)).toISOString(),
    });
    const lastClosed = await get('/api/series', {
      metric: 'revenue',
      group: 'country=DE',
      window: '1m',
      since,
      until: new Date(bucketStart(now, MINUTE) - 1).toISOString(),
    });
    const byDefault = await get('/api/series', {
      metric: 'revenue',
      group: 'country=DE',
      window: '1h',
    });

    // Assess
    expect(closed.headers['cache-control']).toBe(CLOSED_RANGE_CACHE_CONTROL);
    expect(lastClosed.headers['cache-control']).toBe(CLOSED_RANGE_CACHE_CONTROL);
    expect(endsInCurrent.headers['cache-control']).toBe(OPEN_RANGE_CACHE_CONTROL);
    expect(byDefault.headers['cache-control']).toBe(OPEN_RANGE_CACHE_CONTROL);
    expect(closed.headers['content-type']).toMatch(/^application\/json/);
  });
});

describe('GET /api/groups and /api/top against the same items', () => {
  /** Truth combined per group over the range, for revenue in 1m. */
  function combinedTruth() {
    const byGroup = new Map<string, { count: number; sum: string; min: number; max: number }>();
    for (const [key, figures] of truth.items) {
      const match = /^revenue#(.+)\|1m#/.exec(key);
      if (!match) continue;
      const group = match[1] as string;
      const entry = byGroup.get(group) ?? { count: 0, sum: '0', min: Infinity, max: -Infinity };
      entry.count += figures.count;
      entry.sum = addDecimalStrings(entry.sum, figures.sum ?? '0');
      entry.min = Math.min(entry.min, figures.min ?? Infinity);
      entry.max = Math.max(entry.max, figures.max ?? -Infinity);
      byGroup.set(group, entry);
    }
    return byGroup;
  }

  it('lists every group with its count, most first, leaving out items without cnt', async () => {
    // Act
    const response = await get('/api/groups', { metric: 'revenue', window: '1m', since, until });

    // Assess
    const want = [...combinedTruth()]
      .map(([group, { count }]) => ({ group, count }))
      .sort((a, b) => b.count - a.count);
    expect(response.status).toBe(200);
    expect(response.body as GroupsResponse).toEqual({
      metric: 'revenue',
      window: '1m',
      groups: want,
    });
    expect(want.map((g) => g.group)).not.toContain('country=XX');
    expect(want).toHaveLength(COUNTRIES.length);
  });

  it.each(['count', 'sum', 'avg', 'max'] as const)(
    'ranks groups by %s with combined figures',
    async (by) => {
      // Act
      const response = await get('/api/top', {
        metric: 'revenue',
        window: '1m',
        since,
        until,
        by,
        limit: '3',
      });
      const body = response.body as TopResponse;

      // Assess
      const want = [...combinedTruth()]
        .map(([group, f]) => ({
          group,
          count: f.count,
          sum: Number(f.sum),
          sumDecimal: f.sum,
          avg: Number(f.sum) / f.count,
          min: f.min,
          max: f.max,
        }))
        .sort((a, b) => b[by] - a[by])
        .slice(0, 3);
      expect(body).toMatchObject({ metric: 'revenue', window: '1m', by });
      expect(body.groups.map((g) => g.group)).toEqual(want.map((g) => g.group));
      body.groups.forEach((group, i) => {
        const expected = want[i] as (typeof want)[number];
        expect(group.count).toBe(expected.count);
        expect(group.min).toBe(expected.min);
        expect(group.max).toBe(expected.max);
        expect(group.sum).toBeCloseTo(expected.sum, 6);
        expect(group.sumDecimal).toBe(expected.sumDecimal);
        expect(group.avg).toBeCloseTo(expected.avg, 6);
        expect(Number(group.avgDecimal)).toBeCloseTo(expected.avg, 9);
      });
    },
  );

  it('answers 404 for an unknown metric and 405 for another method', async () => {
    // Act
    const unknown = await get('/api/top', { metric: 'nope' });
    const post = await answerQueryRequest(
      { method: 'POST', path: '/api/top', query: new URLSearchParams() },
      deps,
    );

    // Assess
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({
      error: 'unknown_metric',
      message: expect.stringContaining('"nope"'),
    });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET');
  });

  it('answers 500 and reports the error when the table cannot be read', async () => {
    // Prepare
    const reported: unknown[] = [];

    // Act
    const response = await answerQueryRequest(
      { method: 'GET', path: '/api/groups', query: new URLSearchParams('metric=revenue') },
      { ...deps, tableName: 'no-such-table' },
      (error) => reported.push(error),
    );

    // Assess
    expect(response.status).toBe(500);
    expect(response.body).toMatchObject({ error: 'internal_error' });
    expect(reported).toHaveLength(1);
  });
});

describe('query Lambda handler with API Gateway HTTP API (payload 2.0) events', () => {
  let handler: typeof import('../../../functions/query/handler.js')['handler'];

  beforeAll(async () => {
    Object.assign(process.env, {
      ...queryFunctionEnvironment(config, { tableName: TABLE }),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${emulators.ports.dynamodb}`,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    // What the bundled entry does before the handler module loads (infra/lambdaEntry.ts).
    const { provideQuerySettings } = await import(
      '../../../functions/query/readQueryEnvironment.js'
    );
    provideQuerySettings(querySettingsOf(config));
    ({ handler } = await import('../../../functions/query/handler.js'));
  });

  async function invoke(
    path: string,
    rawQueryString: string,
  ): Promise<APIGatewayProxyStructuredResultV2> {
    const event = { ...httpApiEvent({ method: 'GET', path }), rawQueryString };
    return handler(event, lambdaContext());
  }

  it('answers a series request with the same body as the route table', async () => {
    // Prepare
    const query = `metric=revenue&group=${encodeURIComponent('country=FR')}&window=1m&since=${since}&until=${until}`;

    // Act
    const result = await invoke('/api/series', query);

    // Assess
    const direct = await answerQueryRequest(
      { method: 'GET', path: '/api/series', query: new URLSearchParams(query) },
      deps,
    );
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['cache-control']).toBe(CLOSED_RANGE_CACHE_CONTROL);
    expect(JSON.parse(result.body as string)).toEqual(direct.body);
    expect((direct.body as SeriesResponse).points.length).toBeGreaterThan(10);
  });

  it('answers 400 naming a repeated parameter that queryStringParameters would have joined', async () => {
    // Act
    const result = await invoke('/api/top', 'metric=revenue&by=sum&by=count');

    // Assess
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body as string)).toMatchObject({
      error: 'bad_parameter',
      message: expect.stringMatching(/^by: given more than once/),
    });
  });

  it('lists the configured metrics', async () => {
    // Act
    const result = await invoke('/api/metrics', '');

    // Assess
    const body = JSON.parse(result.body as string) as {
      metrics: { name: string; stats: string[] }[];
    };
    expect(body.metrics.map((m) => m.name)).toEqual(config.metrics.map((m) => m.name));
    expect(body.metrics.find((m) => m.name === 'revenue')).toMatchObject({
      on: ['purchase'],
      value: 'data.amount',
      groupBy: ['data.country'],
    });
  });
});
