import { z } from 'zod';
import { configSchema } from '../../core/config/configSchema.js';
import { QUERY_FUNCTION_ENV } from '../../core/config/queryFunctionEnvironment.js';
import { jsonSettingsVariable, requiredVariable } from '../readEnvironmentVariables.js';
import type { QuerySettings } from './QuerySettings.js';

/** The query function's settings, read from its environment. */
export interface QueryEnvironment {
  tableName: string;
  settings: QuerySettings;
}

const settingsSchema = z.object({
  metrics: configSchema.shape.metrics,
  windows: configSchema.shape.windows,
});

/**
 * Reads and validates the query function's environment.
 *
 * @throws {Error} "`NAME` environment variable is not set", or naming the invalid setting
 */
export function readQueryEnvironment(env: NodeJS.ProcessEnv): QueryEnvironment {
  const settings = jsonSettingsVariable(env, QUERY_FUNCTION_ENV.querySettings, settingsSchema);
  return { tableName: requiredVariable(env, QUERY_FUNCTION_ENV.tableName), settings };
}
