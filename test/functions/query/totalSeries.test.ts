import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketStart } from '../../../core/aggregates/aggregateKey.js';
import { OTHER_GROUP } from '../../../core/aggregates/GroupRegistry.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import { PERCENTILE_QUANTILES } from '../../../core/config/metricStats.js';
import { addDecimalStrings } from '../../../core/decimal/addDecimalStrings.js';
import { divideDecimal } from '../../../core/decimal/divideDecimal.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import type { SeriesPoint, SeriesResponse } from '../../../functions/query/queryAggregates.js';
import {
  answerQueryRequest,
  type QueryDependencies,
} from '../../../functions/query/queryRoutes.js';
import type { RunningEmulators } from '../../../local/emulators/startEmulators.js';
import { createAggregatesTable } from '../../../local/provisionResources.js';
import { batchOfEvents, dynamoHandler } from '../../helpers/dynamoHandler.js';
import { sampleEvent } from '../../helpers/events.js';
import { seededRandom } from '../../helpers/seededRandom.js';
import { startTestEmulators } from '../../helpers/testEmulators.js';

const loaded = loadConfig();
/** revenue capped at 5 groups, so the sixth country's events land in `__other__`. */
const config = {
  ...loaded,
  metrics: loaded.metrics.map((m) => (m.name === 'revenue' ? { ...m, maxGroups: 5 } : m)),
};
const TABLE = 'query-total-series';
const MINUTE = 60_000;
const BUCKETS = 12;
const now = Date.now();
/** 12 closed minute buckets, ending an hour before now. */
const firstBucket = bucketStart(now, MINUTE) - 80 * MINUTE;
const lastBucket = firstBucket + (BUCKETS - 1) * MINUTE;
const since = new Date(firstBucket).toISOString();
const until = new Date(lastBucket + MINUTE - 1).toISOString();

/**
 * Purchases whose groups differ on purpose: DE many small amounts, FR few
 * large ones, the rest tenths and cents (sums a double gets wrong). IT comes
 * sixth, after the cap, so it is counted in `__other__`.
 */
const events: StreamfoldEvent[] = (() => {
  const random = seededRandom(5);
  const list: StreamfoldEvent[] = [];
  const add = (b: number, country: string, amount: number) =>
    list.push(
      sampleEvent('purchase', {
        time: new Date(firstBucket + b * MINUTE + Math.floor(random() * MINUTE)).toISOString(),
        data: { amount, country },
      }),
    );
  for (const [i, country] of ['DE', 'FR', 'US', 'JP', 'BR'].entries()) add(0, country, 1 + i);
  for (let b = 0; b < BUCKETS; b++) {
    for (let i = 0; i < 30; i++) add(b, 'DE', Math.round((1 + random() * 19) * 100) / 100);
    for (let i = 0; i < 3; i++) add(b, 'FR', Math.round((800 + random() * 200) * 100) / 100);
    for (let i = 0; i < 6; i++) add(b, 'US', [0.1, 0.2, 0.3][i % 3] as number);
    for (let i = 0; i < 4; i++) add(b, 'JP', Math.round(random() * 10_000) / 100);
    if (b % 2 === 0) add(b, 'BR', 33.33);
    if (b >= 3) add(b, 'IT', 0.07);
  }
  return list;
})();

/** The exact figures of a bucket over all purchases in it, straight from the events. */
interface ExactBucket {
  count: number;
  sum: string;
  min: number;
  max: number;
  sorted: number[];
}

const exactByBucket: Map<string, ExactBucket> = (() => {
  const byBucket = new Map<string, ExactBucket>();
  for (const event of events) {
    const bucket = new Date(bucketStart(Date.parse(event.time), MINUTE)).toISOString();
    const amount = (event.data as { amount: number }).amount;
    const entry = byBucket.get(bucket) ?? {
      count: 0,
      sum: '0',
      min: Infinity,
      max: -Infinity,
      sorted: [],
    };
    entry.count += 1;
    entry.sum = addDecimalStrings(entry.sum, String(amount));
    entry.min = Math.min(entry.min, amount);
    entry.max = Math.max(entry.max, amount);
    entry.sorted.push(amount);
    byBucket.set(bucket, entry);
  }
  for (const entry of byBucket.values()) entry.sorted.sort((a, b) => a - b);
  return byBucket;
})();

/** The value at 0-based rank floor(q · (n - 1)), the rank the API's percentiles report. */
function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

let emulators: RunningEmulators;
let dynamodb: DynamoDBClient;
let deps: QueryDependencies;

async function get(query: Record<string, string>) {
  return answerQueryRequest(
    { method: 'GET', path: '/api/series', query: new URLSearchParams(query) },
    deps,
  );
}

beforeAll(async () => {
  const started = await startTestEmulators({ dynamodb: true });
  emulators = started.emulators;
  dynamodb = started.clients.dynamodb;
  await createAggregatesTable(dynamodb, TABLE);
  const handle = dynamoHandler(dynamodb, TABLE, config, { now, maxLatenessMs: 86_400_000 });
  const { response } = await handle(batchOfEvents(events, 1, 10));
  expect(response.batchItemFailures).toEqual([]);
  deps = { dynamodb, tableName: TABLE, settings: config, now: () => now };
}, 30_000);

afterAll(async () => {
  dynamodb?.destroy();
  await emulators?.stop();
});

describe('GET /api/series without group on a grouped metric', () => {
  it('answers the total over all groups per bucket, exactly as the events add up', async () => {
    // Act
    const response = await get({ metric: 'revenue', window: '1m', since, until });
    const body = response.body as SeriesResponse;

    // Assess
    expect(response.status).toBe(200);
    expect(body).toMatchObject({
      metric: 'revenue',
      group: '*',
      scope: 'total',
      window: '1m',
      groupBy: ['data.country'],
      // Five admitted countries and the sixth in __other__.
      groupCount: 6,
      largestGroup: 'country=DE',
    });
    expect(body.nextCursor).toBeUndefined();
    expect(body.points.map((p) => p.bucket)).toEqual([...exactByBucket.keys()].sort());
    for (const point of body.points) {
      const exact = exactByBucket.get(point.bucket) as ExactBucket;
      expect(point.count, point.bucket).toBe(exact.count);
      expect(point.sumDecimal, point.bucket).toBe(exact.sum);
      expect(point.sum, point.bucket).toBe(Number(exact.sum));
      expect(point.min, point.bucket).toBe(exact.min);
      expect(point.max, point.bucket).toBe(exact.max);
      expect(point.avgDecimal, point.bucket).toBe(divideDecimal(exact.sum, exact.count));
      expect(point.avg, point.bucket).toBe(Number(divideDecimal(exact.sum, exact.count)));
      for (const [name, q] of Object.entries(PERCENTILE_QUANTILES)) {
        const want = exactQuantile(exact.sorted, q);
        const got = point[name as keyof SeriesPoint] as number;
        // The histograms' stated bound: within 1 % of the value at that rank.
        expect(
          Math.abs(got - want),
          `${point.bucket} ${name}: ${got} vs ${want}`,
        ).toBeLessThanOrEqual(0.01 * Math.abs(want) + 1e-12);
      }
    }
    expect(body.points.reduce((n, p) => n + p.count, 0)).toBe(events.length);
  });

  it('reads percentiles from the merged histograms, not as an average of the groups’ percentiles', async () => {
    // Prepare
    const groups = [
      'country=DE',
      'country=FR',
      'country=US',
      'country=JP',
      'country=BR',
      OTHER_GROUP,
    ];
    const perGroup = await Promise.all(
      groups.map(async (group) => (await get({ metric: 'revenue', group, since, until })).body),
    );

    // Act
    const total = (await get({ metric: 'revenue', since, until })).body as SeriesResponse;

    // Assess
    const bucket = total.points[0] as SeriesPoint;
    const p50s = perGroup.flatMap(
      (body) => (body as SeriesResponse).points.find((p) => p.bucket === bucket.bucket)?.p50 ?? [],
    );
    const averageOfP50s = p50s.reduce((a, b) => a + b, 0) / p50s.length;
    const exact = exactQuantile((exactByBucket.get(bucket.bucket) as ExactBucket).sorted, 0.5);
    // The data make the two far apart, so this test tells them apart.
    expect(Math.abs(averageOfP50s - exact)).toBeGreaterThan(0.5 * exact);
    expect(Math.abs((bucket.p50 as number) - exact)).toBeLessThanOrEqual(0.01 * exact);
  });

  it('answers the same total for group=*', async () => {
    // Act
    const omitted = await get({ metric: 'revenue', since, until });
    const star = await get({ metric: 'revenue', group: '*', since, until });

    // Assess
    expect(star.status).toBe(200);
    expect(star.body).toEqual(omitted.body);
  });

  it('pages by buckets with no gap and no repeat, the group count the same on every page', async () => {
    // Prepare
    const query = { metric: 'revenue', window: '1m', since, until, limit: '5' };
    const pages: SeriesResponse[] = [];

    // Act
    let cursor: string | undefined;
    do {
      const response = await get({ ...query, ...(cursor ? { cursor } : {}) });
      expect(response.status).toBe(200);
      const page = response.body as SeriesResponse;
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor && pages.length < 10);

    // Assess
    const all = (await get({ ...query, limit: '1000' })).body as SeriesResponse;
    expect(pages.map((page) => page.points.length)).toEqual([5, 5, 2]);
    expect(pages.flatMap((page) => page.points)).toEqual(all.points);
    expect(pages.map((page) => page.groupCount)).toEqual([6, 6, 6]);
  });

  it('refuses a group series cursor for the total and a total cursor for a group', async () => {
    // Prepare
    const groupPage = await get({
      metric: 'revenue',
      group: 'country=DE',
      since,
      until,
      limit: '2',
    });
    const totalPage = await get({ metric: 'revenue', since, until, limit: '2' });
    const groupCursor = (groupPage.body as SeriesResponse).nextCursor as string;
    const totalCursor = (totalPage.body as SeriesResponse).nextCursor as string;

    // Act
    const totalWithGroupCursor = await get({
      metric: 'revenue',
      since,
      until,
      cursor: groupCursor,
    });
    const groupWithTotalCursor = await get({
      metric: 'revenue',
      group: 'country=DE',
      since,
      until,
      cursor: totalCursor,
    });

    // Assess
    for (const response of [totalWithGroupCursor, groupWithTotalCursor]) {
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        error: 'bad_parameter',
        message: expect.stringMatching(/^cursor: /),
      });
    }
  });

  it('answers an empty total with the group count 0 for a range without events', async () => {
    // Act
    const response = await get({ metric: 'revenue', since: '6h', until: '5h' });

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ scope: 'total', groupCount: 0, points: [] });
    expect(response.body).not.toHaveProperty('largestGroup');
  });
});

describe('GET /api/series with a group', () => {
  it('answers one group as stored, scope group', async () => {
    // Act
    const response = await get({ metric: 'revenue', group: 'country=FR', since, until });

    // Assess
    const body = response.body as SeriesResponse;
    expect(body).toMatchObject({ group: 'country=FR', scope: 'group' });
    expect(body).not.toHaveProperty('groupCount');
    expect(body.points.reduce((n, p) => n + p.count, 0)).toBe(
      events.filter((e) => (e.data as { country: string }).country === 'FR').length,
    );
  });

  it('answers 404 naming the known groups and the one meant for a group the metric never had', async () => {
    // Act
    const response = await get({ metric: 'revenue', group: 'DE', since, until });

    // Assess
    expect(response.status).toBe(404);
    expect(response.body).toEqual({
      error: 'unknown_group',
      message:
        'group: revenue has no group "DE"; known groups: country=DE, country=US, country=JP, ' +
        `country=FR, ${OTHER_GROUP}, country=BR (did you mean country=DE?)`,
    });
  });

  it('answers an empty series, not 404, for a known group without buckets in the range', async () => {
    // Act
    const response = await get({
      metric: 'revenue',
      group: 'country=DE',
      since: '6h',
      until: '5h',
    });

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ group: 'country=DE', scope: 'group', points: [] });
  });
});
