import { parseDuration } from '../duration.js';
import type { StreamfoldConfig } from './configSchema.js';

/** Names of the environment variables the aggregate function reads. */
export const AGGREGATE_FUNCTION_ENV = {
  tableName: 'AGGREGATES_TABLE_NAME',
  rejectsBucketName: 'REJECTS_BUCKET_NAME',
  rejectsPrefix: 'REJECTS_PREFIX',
  /** `true` when S3 must be addressed path-style (local emulators). */
  s3ForcePathStyle: 'S3_FORCE_PATH_STYLE',
  /**
   * The event source mapping's `maxRecordAge` in seconds: records older than
   * this can be dropped unseen, which the handler must notice (see `ShardLedger`).
   */
  maxRecordAgeSeconds: 'MAX_RECORD_AGE_SECONDS',
  /**
   * How long an invocation keeps trying to reach the shard ledger before it
   * fails its batch, in seconds (see `DynamoAttemptTracker`).
   */
  ledgerRetrySeconds: 'LEDGER_RETRY_SECONDS',
} as const;

/**
 * How long an invocation keeps trying an unreachable shard ledger: 10 s, or
 * half the function timeout when that is shorter, so it fails before Lambda
 * stops it.
 */
export function ledgerRetrySecondsOf(config: StreamfoldConfig): number {
  return Math.min(10, (parseDuration(config.aggregation.timeout) ?? 0) / 2_000);
}

/** Service name the function's Powertools logger and metrics report. */
export const AGGREGATE_SERVICE_NAME = 'streamfold-aggregate';

/** CloudWatch namespace of streamfold's custom metrics. */
export const METRICS_NAMESPACE = 'streamfold';

/** Resource names that differ between the local runtime and a deployed stack. */
export interface AggregateFunctionResources {
  tableName: string;
  rejectsBucketName: string;
}

/**
 * The aggregate function's environment, built from the configuration. The CDK
 * stack and the local runtime both call this, so the function sees the same
 * settings in both places.
 *
 * The metrics, windows and acceptance rules (`aggregationSettingsOf`) are not
 * in it: they grow with the metrics, and Lambda allows 4 KB for all of a
 * function's variables together (about 22 metrics). The Lambda entry generated
 * at synth carries them in the bundle, the local runtime passes them to
 * `createAggregateHandler` directly.
 */
export function aggregateFunctionEnvironment(
  config: StreamfoldConfig,
  resources: AggregateFunctionResources,
): Record<string, string> {
  return {
    [AGGREGATE_FUNCTION_ENV.tableName]: resources.tableName,
    [AGGREGATE_FUNCTION_ENV.rejectsBucketName]: resources.rejectsBucketName,
    [AGGREGATE_FUNCTION_ENV.rejectsPrefix]: config.rejects.rejectsPrefix,
    [AGGREGATE_FUNCTION_ENV.maxRecordAgeSeconds]: String(
      (parseDuration(config.aggregation.maxRecordAge) ?? 0) / 1_000,
    ),
    [AGGREGATE_FUNCTION_ENV.ledgerRetrySeconds]: String(ledgerRetrySecondsOf(config)),
    POWERTOOLS_SERVICE_NAME: AGGREGATE_SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
  };
}
