import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';

/**
 * Time kept back before the function's timeout to publish what the invocation
 * has counted, ms: Lambda stops a timed-out invocation without running its
 * `finally` blocks, and writing one EMF line takes well under a millisecond.
 */
export const PUBLISH_BEFORE_TIMEOUT_MS = 500;

/** Invocations that were still running {@link PUBLISH_BEFORE_TIMEOUT_MS} before their timeout. */
export const INVOCATIONS_NEAR_TIMEOUT_METRIC = 'InvocationsNearTimeout';

/**
 * Runs one invocation's `work` and publishes the metrics it stored on every
 * way out: when it returns, when it throws (in a `finally`, as Powertools'
 * `logMetrics` middleware does), and, if it is still running
 * {@link PUBLISH_BEFORE_TIMEOUT_MS} before the function's timeout, then already,
 * with {@link INVOCATIONS_NEAR_TIMEOUT_METRIC}, since a timed-out invocation
 * never reaches its `finally`. Also publishes Powertools' `ColdStart` metric on
 * the container's first invocation (with the `function_name` dimension).
 *
 * @example
 * export const handler = (event, context) =>
 *   publishMetricsAfter(metrics, context, async () => {
 *     metrics.addMetric('Requests', MetricUnit.Count, 1);
 *     return answer(event);
 *   });
 */
export async function publishMetricsAfter<T>(
  metrics: Metrics,
  context: Context,
  work: () => Promise<T>,
): Promise<T> {
  metrics.captureColdStartMetric(context.functionName);
  const remainingMs = context.getRemainingTimeInMillis();
  const nearTimeout =
    remainingMs > PUBLISH_BEFORE_TIMEOUT_MS
      ? setTimeout(() => {
          metrics.addMetric(INVOCATIONS_NEAR_TIMEOUT_METRIC, MetricUnit.Count, 1);
          metrics.publishStoredMetrics();
        }, remainingMs - PUBLISH_BEFORE_TIMEOUT_MS)
      : undefined;
  // The timer must not keep a local process (tests, `streamfold start`) alive on its own.
  nearTimeout?.unref();
  try {
    return await work();
  } finally {
    clearTimeout(nearTimeout);
    // After a near-timeout publish nothing may be left; publishing nothing only logs a warning.
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
}
