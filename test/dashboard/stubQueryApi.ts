/**
 * TEST-ONLY STAND-IN for the query API (`functions/query`), used by the dashboard
 * browser test only while that API is not part of the tree. It answers the
 * requests the page makes, in the shapes of the API contract, from a full scan
 * of the aggregates table; it ignores paging (one page holds everything a test
 * writes) and accepts `since` as a duration only. Once `functions/query` exists,
 * the browser test refuses to use this and talks to the real API instead.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AggregateFigures } from '../../core/aggregates/GroundTruth.js';
import { summarizeAggregate } from '../../core/aggregates/summarizeAggregate.js';
import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import { parseDuration } from '../../core/duration.js';
import { scanAggregates } from '../../load/scanAggregates.js';
import { HttpRouter } from '../../local/http/HttpRouter.js';
import { mountDashboard } from '../../local/http/mountDashboard.js';
import { sendJson } from '../../local/http/sendJson.js';
import { type RunningHttpServer, startHttpServer } from '../../local/http/startHttpServer.js';
import type { PipelineStatus } from '../../local/startLocalPipeline.js';

/** What the stand-in reads. */
export interface StubQueryApiSources {
  config: StreamfoldConfig;
  dynamodb: DynamoDBClient;
  status: () => PipelineStatus;
}

interface StoredPoint {
  group: string;
  bucket: string;
  figures: AggregateFigures;
}

/** Serves the dashboard and the stand-in API on a free loopback port. */
export async function startStubQueryApi(sources: StubQueryApiSources): Promise<RunningHttpServer> {
  const { config } = sources;
  const points = async (url: URL): Promise<StoredPoint[]> => {
    const metric = url.searchParams.get('metric') ?? '';
    const window = url.searchParams.get('window') ?? '';
    const sinceMs = Date.now() - (parseDuration(url.searchParams.get('since') ?? '') ?? 0);
    const windowMs = parseDuration(window) ?? 0;
    const stored = await scanAggregates(sources.dynamodb, config.table.name);
    const found: StoredPoint[] = [];
    for (const [key, figures] of stored) {
      const [pk = '', sk = ''] = key.split('|');
      const [win, bucket = ''] = sk.split('#');
      if (!pk.startsWith(`${metric}#`) || win !== window) continue;
      if (Date.parse(bucket) + windowMs <= sinceMs) continue;
      found.push({ group: pk.slice(metric.length + 1), bucket, figures });
    }
    return found.sort((a, b) => a.bucket.localeCompare(b.bucket));
  };
  const kept = (metricName: string) =>
    new Set(config.metrics.find((m) => m.name === metricName)?.stats ?? []);
  const pick = (summary: Record<string, number | undefined>, stats: Set<string>) =>
    Object.fromEntries(
      Object.entries(summary).filter(([stat]) => stat === 'count' || stats.has(stat)),
    );

  const router = mountDashboard(new HttpRouter())
    .add('GET', '/api/metrics', async (_request, response) => {
      sendJson(response, 200, {
        metrics: config.metrics.map((m) => ({
          name: m.name,
          on: typeof m.on === 'string' ? [m.on] : m.on,
          ...(m.value ? { value: m.value } : {}),
          groupBy: m.groupBy,
          stats: m.stats,
          windows: m.windows,
        })),
      });
    })
    .add('GET', '/api/groups', async (request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const counts = new Map<string, number>();
      for (const p of await points(url)) {
        counts.set(p.group, (counts.get(p.group) ?? 0) + p.figures.count);
      }
      sendJson(response, 200, {
        metric: url.searchParams.get('metric'),
        window: url.searchParams.get('window'),
        groups: [...counts]
          .map(([group, count]) => ({ group, count }))
          .sort((a, b) => b.count - a.count),
      });
    })
    .add('GET', '/api/series', async (request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const metric = url.searchParams.get('metric') ?? '';
      const group = url.searchParams.get('group') ?? '*';
      const stats = kept(metric);
      sendJson(
        response,
        200,
        {
          metric,
          group,
          window: url.searchParams.get('window'),
          points: (await points(url))
            .filter((p) => p.group === group)
            .map((p) => ({
              bucket: p.bucket,
              ...pick({ ...summarizeAggregate(p.figures) }, stats),
            })),
        },
        { 'cache-control': 'no-store' },
      );
    })
    .add('GET', '/api/top', async (request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const by = (url.searchParams.get('by') ?? 'count') as 'count' | 'sum' | 'avg' | 'max';
      const totals = new Map<string, { group: string; count: number; sum: number; max: number }>();
      for (const p of await points(url)) {
        const t = totals.get(p.group) ?? { group: p.group, count: 0, sum: 0, max: -Infinity };
        t.count += p.figures.count;
        t.sum += p.figures.sum ?? 0;
        t.max = Math.max(t.max, p.figures.max ?? -Infinity);
        totals.set(p.group, t);
      }
      const rows = [...totals.values()].map((t) => ({ ...t, avg: t.sum / t.count }));
      sendJson(response, 200, {
        metric: url.searchParams.get('metric'),
        window: url.searchParams.get('window'),
        by,
        groups: rows.sort((a, b) => b[by] - a[by]).slice(0, 10),
      });
    })
    .add('GET', '/api/health', async (_request, response) => {
      const s = sources.status();
      sendJson(response, 200, {
        produced: s.produced,
        aggregated: s.aggregated,
        rejected: s.rejected,
        archivedEvents: s.archivedEvents,
        archiveObjects: s.archiveObjects,
        sentToOnFailure: s.sentToOnFailure,
        iteratorLagMs: s.iteratorLagMs,
        eventsPerSecond: 0,
      });
    });
  return startHttpServer({ host: config.local.host, port: 0, router });
}
