import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ProducerStats } from '../../producers/KinesisProducer.js';
import type { EventErrorCode, IngestResponse } from './types.js';

/**
 * Names of the Powertools metrics the ingest function publishes per request
 * (namespace `METRICS_NAMESPACE`, dimension `service`).
 */
export const INGEST_METRIC = {
  /** Requests answered, 1 each. */
  requests: 'Requests',
  /** Events the stream acknowledged. */
  eventsAccepted: 'EventsAccepted',
  /** Events refused as bad input; also per `code` (`schema_violation`, `event_too_large`, ...). */
  eventsRefused: 'EventsRefused',
  /** Whole requests refused, per `code` (`request_too_large`, `stream_unavailable`, ...). */
  requestsRefused: 'RequestsRefused',
  /** Valid events the stream did not acknowledge in time (the 503's `unacknowledgedIds`). */
  eventsUnacknowledged: 'EventsUnacknowledged',
  /** Kinesis records sent again after a refused entry or a failed PutRecords call. */
  putRecordsRetried: 'PutRecordsRetried',
  /** PutRecords entries refused with ProvisionedThroughputExceededException. */
  putRecordsThrottled: 'PutRecordsThrottled',
  /** Events whose put finally failed (retries exhausted or a non-retryable error). */
  eventsPutFailed: 'EventsPutFailed',
} as const;

/** Dimension of the per-code copies of `EventsRefused` and of `RequestsRefused`. */
export const INGEST_CODE_DIMENSION = 'code';

/** The producer counters one request moved (the producer's stats after minus before). */
export type PutCounts = Pick<ProducerStats, 'recordsRetried' | 'recordsThrottled' | 'eventsFailed'>;

/** The producer counters of {@link PutCounts}, read now. */
export function putCountsOf(stats: ProducerStats): PutCounts {
  return {
    recordsRetried: stats.recordsRetried,
    recordsThrottled: stats.recordsThrottled,
    eventsFailed: stats.eventsFailed,
  };
}

/**
 * Adds one request's metrics to `metrics` (the caller publishes them): the
 * request, its accepted and refused events, the request's refusal if it was
 * refused whole, and what PutRecords retried or failed meanwhile (`before` and
 * `after` are the producer's counters around the request; a Lambda container
 * answers one request at a time, so the difference is this request's).
 * Codes come from closed lists, so the `code` dimension stays bounded.
 */
export function recordIngestMetrics(
  metrics: Metrics,
  response: IngestResponse,
  before: PutCounts,
  after: PutCounts,
): void {
  const { body } = response;
  metrics.addMetric(INGEST_METRIC.requests, MetricUnit.Count, 1);
  metrics.addMetric(
    INGEST_METRIC.eventsAccepted,
    MetricUnit.Count,
    'accepted' in body ? body.accepted : 0,
  );
  const refused = 'errors' in body && body.errors ? body.errors : [];
  metrics.addMetric(INGEST_METRIC.eventsRefused, MetricUnit.Count, refused.length);
  const byCode = new Map<EventErrorCode, number>();
  for (const error of refused) byCode.set(error.code, (byCode.get(error.code) ?? 0) + 1);
  for (const [code, count] of byCode) {
    const single = metrics.singleMetric();
    single.addDimension(INGEST_CODE_DIMENSION, code);
    single.addMetric(INGEST_METRIC.eventsRefused, MetricUnit.Count, count);
  }
  if ('error' in body) {
    const single = metrics.singleMetric();
    single.addDimension(INGEST_CODE_DIMENSION, body.error);
    single.addMetric(INGEST_METRIC.requestsRefused, MetricUnit.Count, 1);
  }
  metrics.addMetric(
    INGEST_METRIC.eventsUnacknowledged,
    MetricUnit.Count,
    'unacknowledgedIds' in body ? body.unacknowledgedIds.length : 0,
  );
  metrics.addMetric(
    INGEST_METRIC.putRecordsRetried,
    MetricUnit.Count,
    after.recordsRetried - before.recordsRetried,
  );
  metrics.addMetric(
    INGEST_METRIC.putRecordsThrottled,
    MetricUnit.Count,
    after.recordsThrottled - before.recordsThrottled,
  );
  metrics.addMetric(
    INGEST_METRIC.eventsPutFailed,
    MetricUnit.Count,
    after.eventsFailed - before.eventsFailed,
  );
}
