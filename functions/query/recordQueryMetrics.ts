import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { queryRoutes } from './queryRoutes.js';

/**
 * Names of the Powertools metrics the query function publishes per request
 * (namespace `METRICS_NAMESPACE`, dimension `service`).
 */
export const QUERY_METRIC = {
  /** Requests answered, 1 each, per `route`. */
  requests: 'Requests',
  /** Requests answered with a 4xx or 5xx status, per `status`. */
  errors: 'Errors',
} as const;

/** Dimension of `Requests`: the route's path (`/api/series`, ...). */
export const ROUTE_DIMENSION = 'route';

/** Dimension of `Errors`: the HTTP status answered (`400`, `404`, `500`, ...). */
export const STATUS_DIMENSION = 'status';

/** The `route` of a path that is none of the query routes, so the dimension stays bounded. */
export const OTHER_ROUTE = 'other';

/**
 * Adds one request's metrics to `metrics` (the caller publishes them):
 * `Requests` with its route, and, when the status is 400 or more, `Errors`
 * with its status (published at once, with its own dimension).
 */
export function recordQueryMetrics(metrics: Metrics, path: string, status: number): void {
  const route = queryRoutes.some((known) => known.path === path) ? path : OTHER_ROUTE;
  metrics.addDimension(ROUTE_DIMENSION, route);
  metrics.addMetric(QUERY_METRIC.requests, MetricUnit.Count, 1);
  if (status >= 400) {
    const single = metrics.singleMetric();
    single.addDimension(STATUS_DIMENSION, String(status));
    single.addMetric(QUERY_METRIC.errors, MetricUnit.Count, 1);
  }
}
