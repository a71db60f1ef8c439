import { z } from 'zod';
import type { AggregationSettings } from '../../core/aggregates/compileMetrics.js';
import { AGGREGATE_FUNCTION_ENV } from '../../core/config/aggregateFunctionEnvironment.js';
import { configSchema } from '../../core/config/configSchema.js';
import { requiredVariable } from '../readEnvironmentVariables.js';

/** The aggregate function's settings: from its bundle, and the names in its environment. */
export interface AggregateEnvironment {
  tableName: string;
  rejectsBucketName: string;
  rejectsPrefix: string;
  settings: AggregationSettings;
  s3ForcePathStyle: boolean;
  /** The event source mapping's `maxRecordAge`, ms; `undefined` when not set (records never expire). */
  maxRecordAgeMs: number | undefined;
  /** How long to keep trying an unreachable shard ledger, ms; `undefined` for the default. */
  ledgerRetryMs: number | undefined;
}

const settingsSchema = z.object({
  metrics: configSchema.shape.metrics,
  windows: configSchema.shape.windows,
  events: configSchema.shape.events,
});

/**
 * Reads and validates the aggregate function's environment, and the settings
 * it was built with: the ones the Lambda entry generated at synth bundles
 * (`infra/lambdaEntry.ts`), or the ones the local runtime passes, both
 * `aggregationSettingsOf(config)`.
 *
 * @throws {Error} "`NAME` environment variable is not set", or naming the invalid setting
 */
export function readAggregateEnvironment(
  env: NodeJS.ProcessEnv,
  settings: unknown,
): AggregateEnvironment {
  const parsed = settingsSchema.safeParse(settings, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const given = issue && 'input' in issue ? ` (given ${JSON.stringify(issue.input)})` : '';
    throw new Error(`aggregation settings ${issue?.path.join('.')}: ${issue?.message}${given}`);
  }
  return {
    tableName: requiredVariable(env, AGGREGATE_FUNCTION_ENV.tableName),
    rejectsBucketName: requiredVariable(env, AGGREGATE_FUNCTION_ENV.rejectsBucketName),
    rejectsPrefix: requiredVariable(env, AGGREGATE_FUNCTION_ENV.rejectsPrefix),
    settings: parsed.data,
    s3ForcePathStyle: env[AGGREGATE_FUNCTION_ENV.s3ForcePathStyle] === 'true',
    maxRecordAgeMs: secondsAsMs(
      AGGREGATE_FUNCTION_ENV.maxRecordAgeSeconds,
      env[AGGREGATE_FUNCTION_ENV.maxRecordAgeSeconds],
    ),
    ledgerRetryMs: secondsAsMs(
      AGGREGATE_FUNCTION_ENV.ledgerRetrySeconds,
      env[AGGREGATE_FUNCTION_ENV.ledgerRetrySeconds],
    ),
  };
}

function secondsAsMs(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new Error(`${name} must be a number of seconds (given ${JSON.stringify(text)})`);
  }
  return seconds * 1_000;
}
