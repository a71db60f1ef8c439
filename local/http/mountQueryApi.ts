import { compileMetrics } from '../../core/aggregates/compileMetrics.js';
import type { CappedMetric } from '../../functions/aggregate/aggregateKinesisBatch.js';
import { DynamoGroupRegistry } from '../../functions/aggregate/DynamoGroupRegistry.js';
import {
  answerQueryRequest,
  type QueryDependencies,
  queryRoutes,
} from '../../functions/query/queryRoutes.js';
import { EventRateWindow } from '../EventRateWindow.js';
import type { HttpRouter } from './HttpRouter.js';
import { healthStatusCode, type RuntimeHealth } from './healthRoute.js';
import { readGroupCapHealth } from './readGroupCapHealth.js';
import { sendJson } from './sendJson.js';

/** Window of `eventsPerSecond` in `GET /api/health`, ms. */
const RATE_WINDOW_MS = 5_000;
/** How often the produced total is sampled for the rate, ms. */
const RATE_SAMPLE_INTERVAL_MS = 1_000;

/** The pipeline counters `GET /api/health` reports. */
export interface HealthCounters {
  produced: number;
  aggregated: number;
  rejected: number;
  archivedEvents: number;
  archiveObjects: number;
  /** Records the archiver could not convert to Parquet, under the error prefix. */
  archiveConversionFailures: number;
  sentToOnFailure: number;
  iteratorLagMs: number;
}

/** Options of {@link mountQueryApi}. */
export interface QueryApiOptions extends QueryDependencies {
  /** The running pipeline's counters. */
  status: () => HealthCounters;
  /**
   * Whether each part of the runtime is up; a part down makes the answer a 503.
   *
   * @default - every part reported up
   */
  health?: () => RuntimeHealth;
  /**
   * Per metric found full, the events the handler folded into `__other__`
   * since the start (its `processingTotals.cappedMetrics`).
   *
   * @default - none reported
   */
  eventsOverGroupCap?: () => readonly CappedMetric[];
  /**
   * The archive's `archive.format`, so a reader knows whether
   * `archiveConversionFailures` can be more than 0 (only with `'parquet'`).
   *
   * @default 'json'
   */
  archiveFormat?: 'json' | 'parquet';
  /** Told about every failed read of the aggregates. */
  onError?: (error: unknown) => void;
}

/** The mounted query API; `stop()` ends the rate sampling. */
export interface MountedQueryApi {
  stop(): void;
}

/**
 * Adds the query API's routes (`GET /api/metrics`, `/api/groups`,
 * `/api/series`, `/api/top`: the same `queryRoutes` the Lambda function
 * serves) and `GET /api/health` (whether each part of the runtime is up, as
 * `GET /health` says, the pipeline's counters, the events produced per second
 * over the last ~5 s, and each capped metric's groups used against its
 * `maxGroups`, see `readGroupCapHealth`) to the local router. A part down
 * makes it a 503.
 */
export function mountQueryApi(router: HttpRouter, options: QueryApiOptions): MountedQueryApi {
  const {
    status,
    health,
    onError,
    eventsOverGroupCap,
    archiveFormat = 'json',
    ...dependencies
  } = options;
  const registry = new DynamoGroupRegistry(dependencies.dynamodb, dependencies.tableName);
  const metrics = compileMetrics(dependencies.settings);
  for (const route of queryRoutes) {
    router.add(route.method, route.path, async (request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const answer = await answerQueryRequest(
        { method: request.method ?? 'GET', path: url.pathname, query: url.searchParams },
        dependencies,
        onError,
      );
      sendJson(response, answer.status, answer.body, answer.headers);
    });
  }
  const rate = new EventRateWindow(RATE_WINDOW_MS);
  // No sample at mount: the pipeline may still be assembling what `status` reads.
  const sampler = setInterval(() => rate.record(status().produced), RATE_SAMPLE_INTERVAL_MS);
  // Sampling must never keep the process alive on its own.
  sampler.unref();
  router.add('GET', '/api/health', async (_request, response) => {
    const counters = status();
    const parts = health?.() ?? { status: 'ok', parts: {} };
    rate.record(counters.produced);
    // The counters are worth answering without the caps: a failed read is told and left out.
    // With the DynamoDB emulator down the read could only fail, so it is not tried.
    const groupCaps = parts.parts.dynamodb?.startsWith('down')
      ? undefined
      : await readGroupCapHealth(registry, metrics, eventsOverGroupCap?.() ?? []).catch(
          (error: unknown) => {
            onError?.(error);
            return undefined;
          },
        );
    sendJson(
      response,
      healthStatusCode(parts),
      {
        status: parts.status,
        parts: parts.parts,
        produced: counters.produced,
        aggregated: counters.aggregated,
        rejected: counters.rejected,
        archivedEvents: counters.archivedEvents,
        archiveObjects: counters.archiveObjects,
        archiveFormat,
        archiveConversionFailures: counters.archiveConversionFailures,
        sentToOnFailure: counters.sentToOnFailure,
        iteratorLagMs: counters.iteratorLagMs,
        eventsPerSecond: Math.round(rate.perSecond() * 10) / 10,
        groupCaps,
      },
      { 'cache-control': 'no-store' },
    );
  });
  return { stop: () => clearInterval(sampler) };
}
