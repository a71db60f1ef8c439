import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { compileMetrics } from '../../core/aggregates/compileMetrics.js';
import { parseDuration } from '../../core/duration.js';
import { eventCatalog } from '../../core/events/catalog.js';
import { aggregateKinesisBatch, type BatchSummary } from './aggregateKinesisBatch.js';
import { DynamoAggregateStore } from './DynamoAggregateStore.js';
import { DynamoEventDeduper } from './DynamoEventDeduper.js';
import { DynamoGroupRegistry } from './DynamoGroupRegistry.js';
import { S3RejectsSink } from './RejectsSink.js';
import { readAggregateEnvironment } from './readAggregateEnvironment.js';

// Read once per container: a missing variable fails the cold start, not every batch.
const environment = readAggregateEnvironment(process.env);
const logger = new Logger();
const metrics = new Metrics();
const dynamodb = new DynamoDBClient({});
const { dedupeWindow } = environment.settings.events;
const dedupeWindowMs = dedupeWindow === undefined ? undefined : parseDuration(dedupeWindow);
const dependencies = {
  store: new DynamoAggregateStore(dynamodb, environment.tableName),
  // Cached for the container's life; the registry item keeps the cap across containers.
  groups: new DynamoGroupRegistry(dynamodb, environment.tableName),
  rejects: new S3RejectsSink(
    new S3Client({ forcePathStyle: environment.s3ForcePathStyle }),
    environment.rejectsBucketName,
    environment.rejectsPrefix,
  ),
  metrics: compileMetrics(environment.settings),
  catalog: eventCatalog,
  maxLatenessMs: parseDuration(environment.settings.events.maxLateness) ?? 0,
  maxFutureSkewMs: parseDuration(environment.settings.events.maxFutureSkew) ?? 0,
  ...(dedupeWindowMs === undefined
    ? {}
    : { deduper: new DynamoEventDeduper(dynamodb, environment.tableName, dedupeWindowMs) }),
  logger,
};

/** Totals since the container started; the local runtime shows them in its status line. */
export const processingTotals: BatchSummary = {
  records: 0,
  eventsFolded: 0,
  eventsRejected: 0,
  eventsDuplicate: 0,
  itemsApplied: 0,
  itemsAlreadyApplied: 0,
  itemsFailed: 0,
  failedRecords: 0,
};

/**
 * Lambda entry point for the Kinesis event source mapping (with
 * `ReportBatchItemFailures`). All the work is in {@link aggregateKinesisBatch}.
 */
export async function handler(
  event: KinesisStreamEvent,
  context: Context,
): Promise<KinesisStreamBatchResponse> {
  logger.addContext(context);
  const { response, summary } = await aggregateKinesisBatch(event, dependencies);
  for (const key of Object.keys(summary) as (keyof BatchSummary)[])
    processingTotals[key] += summary[key];
  metrics.addMetric('EventsFolded', MetricUnit.Count, summary.eventsFolded);
  metrics.addMetric('EventsRejected', MetricUnit.Count, summary.eventsRejected);
  metrics.addMetric('AggregateWrites', MetricUnit.Count, summary.itemsApplied);
  metrics.addMetric('FailedRecords', MetricUnit.Count, summary.failedRecords);
  metrics.publishStoredMetrics();
  return response;
}
