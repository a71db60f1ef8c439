import { bucketStart } from '../../core/aggregates/aggregateKey.js';
import { ALL_GROUP } from '../../core/aggregates/compileMetrics.js';
import { QueryError } from './errors.js';
import {
  parseGroupsParameters,
  parseMetricsParameters,
  parseSeriesParameters,
  parseTopParameters,
} from './parseQueryParameters.js';
import type { QuerySettings } from './QuerySettings.js';
import {
  type AggregateSource,
  listGroups,
  listMetrics,
  readSeries,
  topGroups,
} from './queryAggregates.js';
import { readTotalSeries } from './readTotalSeries.js';
import { requireKnownGroup } from './requireKnownGroup.js';

/** A query API request, as the local server and the Lambda handler both see it. */
export interface QueryRequest {
  method: string;
  /** Path without the query string, for example `/api/series`. */
  path: string;
  query: URLSearchParams;
}

/** A query API response; `body` is sent as JSON. */
export interface QueryResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** What the query routes read and when "now" is. */
export interface QueryDependencies extends AggregateSource {
  settings: QuerySettings;
  /** Current time, ms since the epoch. */
  now: () => number;
}

/** One route of the query API. */
export interface QueryRoute {
  method: 'GET';
  path: string;
  handle: (request: QueryRequest, dependencies: QueryDependencies) => Promise<QueryResponse>;
}

/**
 * Cache-Control of a series whose every bucket is closed. Closed buckets still take late events
 * (up to `events.maxLateness`) and replayed batches, so they are cached briefly, not for good:
 * a dashboard polling every few seconds is spared the reads, and a correction shows within a minute.
 */
export const CLOSED_RANGE_CACHE_CONTROL = 'public, max-age=60';
/** Cache-Control of every other answer. */
export const OPEN_RANGE_CACHE_CONTROL = 'no-store';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

function ok(body: unknown, cacheControl = OPEN_RANGE_CACHE_CONTROL): QueryResponse {
  return {
    status: 200,
    headers: { 'content-type': JSON_CONTENT_TYPE, 'cache-control': cacheControl },
    body,
  };
}

/**
 * The query API's routes, mounted by the local HTTP server and served by the
 * query Lambda function behind API Gateway (see `QueryFunction`).
 */
export const queryRoutes: readonly QueryRoute[] = [
  {
    method: 'GET',
    path: '/api/metrics',
    handle: async (request, deps) => {
      parseMetricsParameters(request.query);
      return ok(listMetrics(deps.settings));
    },
  },
  {
    method: 'GET',
    path: '/api/groups',
    handle: async (request, deps) =>
      ok(await listGroups(deps, parseGroupsParameters(request.query, deps.settings, deps.now()))),
  },
  {
    method: 'GET',
    path: '/api/series',
    handle: async (request, deps) => {
      const nowMs = deps.now();
      const params = parseSeriesParameters(request.query, deps.settings, nowMs);
      // Closed: the last bucket of the range started before the current one.
      const closed = params.lastBucketMs < bucketStart(nowMs, params.windowMs);
      const body =
        params.scope === 'total'
          ? await readTotalSeries(deps, params)
          : await readSeries(deps, params);
      // A first page with nothing at all: the group may not exist. Later pages were reached
      // through a cursor of a series that did; `*` of an ungrouped metric always exists.
      if (
        params.scope === 'group' &&
        params.group !== ALL_GROUP &&
        params.cursor === undefined &&
        body.points.length === 0 &&
        body.nextCursor === undefined
      ) {
        await requireKnownGroup(deps, params);
      }
      return ok(body, closed ? CLOSED_RANGE_CACHE_CONTROL : OPEN_RANGE_CACHE_CONTROL);
    },
  },
  {
    method: 'GET',
    path: '/api/top',
    handle: async (request, deps) =>
      ok(await topGroups(deps, parseTopParameters(request.query, deps.settings, deps.now()))),
  },
];

/**
 * Answers a query API request: the matching route's answer; 400 or 404 with
 * `{error, message}` for a bad parameter, an unknown metric or (series) a
 * group the metric has no item for; 404 for an
 * unknown path; 405 with `allow` for another method; 500 (after `onError`)
 * when reading the table fails.
 *
 * @example
 * await answerQueryRequest({ method: 'GET', path: '/api/metrics', query: new URLSearchParams() }, deps);
 */
export async function answerQueryRequest(
  request: QueryRequest,
  dependencies: QueryDependencies,
  onError: (error: unknown) => void = () => undefined,
): Promise<QueryResponse> {
  const routes = queryRoutes.filter((route) => route.path === request.path);
  const route = routes.find((candidate) => candidate.method === request.method);
  if (!route) {
    if (routes.length === 0) {
      return errorResponse(404, 'not_found', `no route for ${request.method} ${request.path}`);
    }
    const allowed = routes.map((candidate) => candidate.method).join(', ');
    return errorResponse(
      405,
      'method_not_allowed',
      `${request.path} accepts ${allowed} (given ${request.method})`,
      { allow: allowed },
    );
  }
  try {
    return await route.handle(request, dependencies);
  } catch (error) {
    if (error instanceof QueryError) return errorResponse(error.status, error.code, error.message);
    onError(error);
    return errorResponse(
      500,
      'internal_error',
      `${request.method} ${request.path} failed reading the aggregates; see the server log`,
    );
  }
}

function errorResponse(
  status: number,
  error: string,
  message: string,
  headers: Record<string, string> = {},
): QueryResponse {
  return {
    status,
    headers: { 'content-type': JSON_CONTENT_TYPE, 'cache-control': 'no-store', ...headers },
    body: { error, message },
  };
}
