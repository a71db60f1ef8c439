import type { StreamfoldConfig } from './configSchema.js';

/** Names of the environment variables the query function reads. */
export const QUERY_FUNCTION_ENV = {
  /** The aggregates table the function reads. */
  tableName: 'AGGREGATES_TABLE_NAME',
} as const;

/** What the query function needs from the configuration: the declared metrics and windows. */
export type QueryFunctionSettings = Pick<StreamfoldConfig, 'metrics' | 'windows'>;

/**
 * Picks the query function's settings out of the configuration. They grow with
 * the metrics, so they travel in the function's bundle (see
 * `infra/lambdaEntry.ts`), not in its environment.
 */
export function querySettingsOf(config: StreamfoldConfig): QueryFunctionSettings {
  return { metrics: config.metrics, windows: config.windows };
}

/** Service name the query function's Powertools logger reports. */
export const QUERY_SERVICE_NAME = 'streamfold-query';

/** Resource names that differ between the local runtime and a deployed stack. */
export interface QueryFunctionResources {
  tableName: string;
}

/**
 * The query function's environment: the names known only at deploy. Its
 * settings ({@link querySettingsOf}) are bundled with it, so the deployed API
 * answers from the metric definitions the local server uses. It takes the
 * configuration like the other functions' environments, though nothing of it
 * is needed here now.
 */
export function queryFunctionEnvironment(
  _config: StreamfoldConfig,
  resources: QueryFunctionResources,
): Record<string, string> {
  return {
    [QUERY_FUNCTION_ENV.tableName]: resources.tableName,
    POWERTOOLS_SERVICE_NAME: QUERY_SERVICE_NAME,
  };
}
