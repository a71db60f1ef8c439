import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketStart } from '../../core/aggregates/aggregateKey.js';
import { GroundTruth } from '../../core/aggregates/GroundTruth.js';
import { summarizeAggregate } from '../../core/aggregates/summarizeAggregate.js';
import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import type {
  GroupsResponse,
  MetricsResponse,
  SeriesResponse,
  TopResponse,
} from '../../functions/query/queryAggregates.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/startLocalPipeline.js';
import { sampleEvent } from '../helpers/events.js';
import { seededRandom } from '../helpers/seededRandom.js';

// No demo: the table holds only what the test sends.
const config: StreamfoldConfig = loadConfig({ local: { demoRate: 0 } });
const MINUTE = 60_000;
const now = Date.now();
/** Purchases over the 10 minutes before the current one, in three countries. */
const events = (() => {
  const random = seededRandom(5);
  const start = bucketStart(now, MINUTE) - 10 * MINUTE;
  return Array.from({ length: 400 }, (_, i) =>
    sampleEvent('purchase', {
      time: new Date(start + Math.floor(random() * 10 * MINUTE)).toISOString(),
      data: {
        amount: Math.round((1 + random() * 200) * 100) / 100,
        country: (['DE', 'FR', 'IT'] as const)[i % 3],
      },
    }),
  );
})();
const truth = new GroundTruth(config);
for (const event of events) truth.add(event);

let pipeline: LocalPipeline;

async function getJson<T>(path: string): Promise<{ status: number; headers: Headers; body: T }> {
  const response = await fetch(`${pipeline.httpUrl}${path}`);
  return { status: response.status, headers: response.headers, body: (await response.json()) as T };
}

beforeAll(async () => {
  pipeline = await startLocalPipeline({ config, ephemeralPorts: true });
  await Promise.all(events.map((event) => pipeline.producer.put(event)));
  await pipeline.waitForDrain(60_000);
}, 90_000);

afterAll(async () => {
  await pipeline?.stop();
});

describe('query API routes on the local HTTP server (startLocalPipeline)', () => {
  it('serves the series of revenue in Germany as the ground truth says, query string included', async () => {
    // Act
    const { status, headers, body } = await getJson<SeriesResponse>(
      '/api/series?metric=revenue&group=country%3DDE&window=1m&since=15m',
    );

    // Assess
    const prefix = 'revenue#country=DE|1m#';
    const want = [...truth.items]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, figures]) => ({
        bucket: key.slice(prefix.length),
        ...summarizeAggregate(figures),
      }));
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^application\/json/);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(body.points.map((p) => p.bucket)).toEqual(want.map((p) => p.bucket));
    body.points.forEach((point, i) => {
      expect(point.count).toBe(want[i]?.count);
      expect(point.sum).toBeCloseTo(want[i]?.sum as number, 6);
      expect(point.sumDecimal).toBe(want[i]?.sumDecimal);
      expect(point.p90).toBe(want[i]?.p90);
    });
  });

  it('serves groups, top and metrics', async () => {
    // Act
    const groups = await getJson<GroupsResponse>('/api/groups?metric=revenue&window=1h&since=1h');
    const top = await getJson<TopResponse>(
      '/api/top?metric=revenue&window=1m&since=15m&by=sum&limit=1',
    );
    const metrics = await getJson<MetricsResponse>('/api/metrics');

    // Assess
    const counts = new Map<string, number>();
    for (const event of events) {
      const group = `country=${(event.data as { country: string }).country}`;
      counts.set(group, (counts.get(group) ?? 0) + 1);
    }
    expect(new Map(groups.body.groups.map((g) => [g.group, g.count]))).toEqual(counts);
    const sums = new Map<string, number>();
    for (const event of events) {
      const { country, amount } = event.data as { country: string; amount: number };
      sums.set(`country=${country}`, (sums.get(`country=${country}`) ?? 0) + amount);
    }
    const best = [...sums].sort((a, b) => b[1] - a[1])[0] as [string, number];
    expect(top.body.groups).toHaveLength(1);
    expect(top.body.groups[0]?.group).toBe(best[0]);
    expect(top.body.groups[0]?.sum).toBeCloseTo(best[1], 6);
    expect(metrics.body.metrics.map((m) => m.name)).toEqual(config.metrics.map((m) => m.name));
  });

  it('answers 400 naming the parameter, 404 for an unknown metric and 405 for POST', async () => {
    // Act
    const bad = await getJson<{ error: string; message: string }>(
      '/api/series?metric=revenue&limit=5000',
    );
    const unknown = await getJson<{ error: string }>('/api/top?metric=nope');
    const post = await fetch(`${pipeline.httpUrl}/api/series`, { method: 'POST' });

    // Assess
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^limit: .*"5000"/);
    expect(unknown.status).toBe(404);
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });

  it('reports the pipeline counters and the produced rate on /api/health', async () => {
    // Prepare: 200 more events spread over ~2 s, so the 5 s window sees them
    for (let i = 0; i < 4; i++) {
      await Promise.all(
        Array.from({ length: 50 }, () => pipeline.producer.put(sampleEvent('page_view'))),
      );
      await pipeline.producer.flush();
      await new Promise((resolve) => setTimeout(resolve, 500));
    }

    // Act
    const { status, body } = await getJson<Record<string, number>>('/api/health');

    // Assess
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(
      [
        'status',
        'parts',
        'produced',
        'aggregated',
        'rejected',
        'archivedEvents',
        'archiveObjects',
        'archiveFormat',
        'archiveConversionFailures',
        'sentToOnFailure',
        'iteratorLagMs',
        'eventsPerSecond',
        'groupCaps',
      ].sort(),
    );
    expect(body.archiveFormat).toBe('json');
    expect(body.produced).toBe(events.length + 200);
    expect(body.aggregated).toBeGreaterThanOrEqual(events.length);
    expect(body.eventsPerSecond).toBeGreaterThan(0);
  });
});
