import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { RejectCode } from '../../core/events/RejectReason.js';
import { publishMetricsAfter } from '../observability/publishMetricsAfter.js';
import { type InvocationTracer, traceInvocation } from '../observability/traceInvocation.js';
import {
  type AggregateDependencies,
  aggregateKinesisBatch,
  type BatchSummary,
} from './aggregateKinesisBatch.js';
import { AGGREGATE_METRIC, REJECT_CODE_DIMENSION } from './aggregateMetricNames.js';
import { GroupCapReporter } from './GroupCapReporter.js';

/** The Lambda function's handler and the totals it keeps. */
export interface AggregateHandler {
  /**
   * Lambda entry point for the Kinesis event source mapping (with
   * `ReportBatchItemFailures`). All the work is in {@link aggregateKinesisBatch}.
   */
  handler: (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse>;
  /**
   * Totals since the container started; the local runtime shows them in its
   * status line and health. `cappedMetrics` holds, per metric found full, the
   * events folded into `__other__` since the start.
   */
  processingTotals: BatchSummary;
}

/** How the handler reports what it does. */
export interface AggregateTelemetry {
  logger: Logger;
  /** Where the batch's metrics are stored; the handler publishes them on every way out. */
  metrics: Metrics;
  /**
   * The tracer, once loaded (see `loadTracer`); awaited before the first batch.
   * @default - no tracing
   */
  tracing?: Promise<InvocationTracer | undefined>;
}

/**
 * The aggregate function's handler over `dependencies`: folds each batch with
 * {@link aggregateKinesisBatch} and publishes its metrics (`AGGREGATE_METRIC`,
 * `EventsOverGroupCap`, Powertools' `ColdStart`) whether the batch returns,
 * throws or runs into the timeout. A batch that throws publishes
 * `RecordsReceived` only: it is retried whole, and its events are counted
 * when a try of it completes.
 *
 * @example
 * const { handler } = aggregateBatchHandler(dependencies, { logger, metrics });
 */
export function aggregateBatchHandler(
  dependencies: AggregateDependencies,
  telemetry: AggregateTelemetry,
): AggregateHandler {
  const { logger, metrics } = telemetry;
  const processingTotals: BatchSummary = {
    records: 0,
    eventsFolded: 0,
    eventsRejected: 0,
    eventsRejectedByCode: {},
    eventsDuplicate: 0,
    itemsApplied: 0,
    itemsAlreadyApplied: 0,
    itemsFailed: 0,
    failedRecords: 0,
    eventsRefusedByStore: 0,
    eventsOverGroupCap: 0,
    cappedMetrics: [],
  };
  const groupCaps = new GroupCapReporter(dependencies.metrics, logger, metrics);
  const handler = async (
    event: KinesisStreamEvent,
    context: Context,
  ): Promise<KinesisStreamBatchResponse> => {
    logger.addContext(context);
    const tracer = await telemetry.tracing;
    return publishMetricsAfter(metrics, context, () =>
      traceInvocation(tracer, 'aggregate', async () => {
        metrics.addMetric(AGGREGATE_METRIC.recordsReceived, MetricUnit.Count, event.Records.length);
        const { response, summary } = await aggregateKinesisBatch(event, dependencies);
        const { cappedMetrics, eventsRejectedByCode, ...counts } = summary;
        for (const key of Object.keys(counts) as (keyof typeof counts)[])
          processingTotals[key] += counts[key];
        const totalsByCode = processingTotals.eventsRejectedByCode;
        for (const [code, count] of Object.entries(eventsRejectedByCode) as [
          RejectCode,
          number,
        ][]) {
          totalsByCode[code] = (totalsByCode[code] ?? 0) + count;
          // Per code as well: the rejects sink quotes only a bounded part of a hostile batch.
          const single = metrics.singleMetric();
          single.addDimension(REJECT_CODE_DIMENSION, code);
          single.addMetric(AGGREGATE_METRIC.eventsRejected, MetricUnit.Count, count);
        }
        groupCaps.report(cappedMetrics);
        processingTotals.cappedMetrics = groupCaps.totals();
        metrics.addMetric(AGGREGATE_METRIC.eventsFolded, MetricUnit.Count, summary.eventsFolded);
        metrics.addMetric(
          AGGREGATE_METRIC.eventsRejected,
          MetricUnit.Count,
          summary.eventsRejected,
        );
        metrics.addMetric(AGGREGATE_METRIC.aggregateWrites, MetricUnit.Count, summary.itemsApplied);
        metrics.addMetric(AGGREGATE_METRIC.failedRecords, MetricUnit.Count, summary.failedRecords);
        return response;
      }),
    );
  };
  return { handler, processingTotals };
}
