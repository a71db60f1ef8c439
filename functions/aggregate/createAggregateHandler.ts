import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AggregationSettings } from '../../core/aggregates/compileMetrics.js';
import {
  AGGREGATE_SERVICE_NAME,
  METRICS_NAMESPACE,
} from '../../core/config/aggregateFunctionEnvironment.js';
import type { EventCatalog } from '../../core/events/catalog.js';
import { loadTracer } from '../observability/loadTracer.js';
import { type AggregateHandler, aggregateBatchHandler } from './aggregateBatchHandler.js';
import { aggregateDependencies } from './aggregateDependencies.js';
import { DynamoAttemptTracker, lazyNextRecordAfter } from './DynamoAttemptTracker.js';
import { DynamoShardLedger } from './DynamoShardLedger.js';
import { readAggregateEnvironment } from './readAggregateEnvironment.js';

export type { AggregateHandler } from './aggregateBatchHandler.js';

/**
 * Builds the aggregate function's handler for `catalog` and `settings` (the
 * configuration's, `aggregationSettingsOf(config)`), reading resource names
 * from the environment the stack gives the function
 * (`aggregateFunctionEnvironment`). Called once per container: the Lambda
 * entry generated at synth (`infra/lambdaEntry.ts`) calls it with the catalog
 * and settings of the configuration it was synthesized from, bundled with it;
 * the local runtime with those of the configuration it runs.
 *
 * @throws {Error} when a variable of the environment is missing or invalid, so
 *   a broken deployment fails its cold start rather than every batch
 */
export function createAggregateHandler(
  catalog: EventCatalog,
  settings: AggregationSettings,
  variables: NodeJS.ProcessEnv = process.env,
): AggregateHandler {
  const environment = readAggregateEnvironment(variables, settings);
  const logger = new Logger();
  const metrics = new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: AGGREGATE_SERVICE_NAME,
  });
  const dynamodb = new DynamoDBClient({});
  const s3 = new S3Client({ forcePathStyle: environment.s3ForcePathStyle });
  // Loaded only when the stack turned tracing on; the clients are traced before the first batch.
  const tracing = loadTracer(AGGREGATE_SERVICE_NAME, variables).then((tracer) => {
    tracer?.captureAWSv3Client(dynamodb);
    tracer?.captureAWSv3Client(s3);
    return tracer;
  });
  const dependencies = {
    ...aggregateDependencies({
      dynamodb,
      s3,
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
        const kinesis = new KinesisClient({ requestHandler: new NodeHttpHandler() });
        (await tracing)?.captureAWSv3Client(kinesis);
        return kinesis;
      }),
      ...(environment.maxRecordAgeMs === undefined
        ? {}
        : { maxRecordAgeMs: environment.maxRecordAgeMs }),
      ...(environment.ledgerRetryMs === undefined
        ? {}
        : { ledgerRetryMs: environment.ledgerRetryMs }),
    }),
  };
  return aggregateBatchHandler(dependencies, { logger, metrics, tracing });
}
