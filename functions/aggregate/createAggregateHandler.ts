import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { EventCatalog } from '../../core/events/catalog.js';
import type { RejectCode } from '../../core/events/RejectReason.js';
import { aggregateDependencies } from './aggregateDependencies.js';
import { aggregateKinesisBatch, type BatchSummary } from './aggregateKinesisBatch.js';
import { DynamoAttemptTracker, lazyNextRecordAfter } from './DynamoAttemptTracker.js';
import { DynamoShardLedger } from './DynamoShardLedger.js';
import { GroupCapReporter } from './GroupCapReporter.js';
import { readAggregateEnvironment } from './readAggregateEnvironment.js';

/** Dimension of `EventsRejected` published per reject code (`malformed_json`, ...). */
const REJECT_CODE_DIMENSION = 'code';

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

/**
 * Builds the aggregate function's handler for `catalog` (the configuration's),
 * reading the rest of its settings from the environment the stack gives the
 * function (`aggregateFunctionEnvironment`). Called once per container: the
 * Lambda entry generated at synth (`infra/lambdaEntry.ts`) calls it with the
 * catalog of the configuration it was synthesized from, the local runtime with
 * the catalog of the configuration it runs.
 *
 * @throws {Error} when a variable of the environment is missing or invalid, so
 *   a broken deployment fails its cold start rather than every batch
 */
export function createAggregateHandler(
  catalog: EventCatalog,
  variables: NodeJS.ProcessEnv = process.env,
): AggregateHandler {
  const environment = readAggregateEnvironment(variables);
  const logger = new Logger();
  const metrics = new Metrics();
  const dynamodb = new DynamoDBClient({});
  const dependencies = {
    ...aggregateDependencies({
      dynamodb,
      s3: new S3Client({ forcePathStyle: environment.s3ForcePathStyle }),
      tableName: environment.tableName,
      rejectsBucketName: environment.rejectsBucketName,
      rejectsPrefix: environment.rejectsPrefix,
      settings: environment.settings,
      catalog,
      logger,
    }),
    attempts: new DynamoAttemptTracker(new DynamoShardLedger(dynamodb, environment.tableName), {
      nextRecordAfter: lazyNextRecordAfter(async () => {
        const { KinesisClient } = await import('@aws-sdk/client-kinesis');
        // HTTP/1.1: the local Kinesis emulator does not speak HTTP/2; on AWS either works.
        return new KinesisClient({ requestHandler: new NodeHttpHandler() });
      }),
      ...(environment.maxRecordAgeMs === undefined
        ? {}
        : { maxRecordAgeMs: environment.maxRecordAgeMs }),
      ...(environment.ledgerRetryMs === undefined
        ? {}
        : { ledgerRetryMs: environment.ledgerRetryMs }),
    }),
  };
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
    const { response, summary } = await aggregateKinesisBatch(event, dependencies);
    const { cappedMetrics, eventsRejectedByCode, ...counts } = summary;
    for (const key of Object.keys(counts) as (keyof typeof counts)[])
      processingTotals[key] += counts[key];
    const totalsByCode = processingTotals.eventsRejectedByCode;
    for (const [code, count] of Object.entries(eventsRejectedByCode) as [RejectCode, number][]) {
      totalsByCode[code] = (totalsByCode[code] ?? 0) + count;
      // Per code as well: the rejects sink quotes only a bounded part of a hostile batch.
      const single = metrics.singleMetric();
      single.addDimension(REJECT_CODE_DIMENSION, code);
      single.addMetric('EventsRejected', MetricUnit.Count, count);
    }
    groupCaps.report(cappedMetrics);
    processingTotals.cappedMetrics = groupCaps.totals();
    metrics.addMetric('EventsFolded', MetricUnit.Count, summary.eventsFolded);
    metrics.addMetric('EventsRejected', MetricUnit.Count, summary.eventsRejected);
    metrics.addMetric('AggregateWrites', MetricUnit.Count, summary.itemsApplied);
    metrics.addMetric('FailedRecords', MetricUnit.Count, summary.failedRecords);
    metrics.publishStoredMetrics();
    return response;
  };
  return { handler, processingTotals };
}
