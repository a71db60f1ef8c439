import type { StreamfoldConfig } from './configSchema.js';

/** Names of the environment variables the query function reads. */
export const QUERY_FUNCTION_ENV = {
  /** The aggregates table the function reads. */
  tableName: 'AGGREGATES_TABLE_NAME',
  /** `config.metrics` and `config.windows` as one JSON value. */
  querySettings: 'QUERY_SETTINGS',
} as const;

/** Service name the query function's Powertools logger reports. */
export const QUERY_SERVICE_NAME = 'streamfold-query';

/** Resource names that differ between the local runtime and a deployed stack. */
export interface QueryFunctionResources {
  tableName: string;
}

/**
 * The query function's environment, built from the configuration. The CDK
 * stack and the tests both call this, so the deployed API answers from the
 * metric definitions the local server uses.
 */
export function queryFunctionEnvironment(
  config: StreamfoldConfig,
  resources: QueryFunctionResources,
): Record<string, string> {
  return {
    [QUERY_FUNCTION_ENV.tableName]: resources.tableName,
    [QUERY_FUNCTION_ENV.querySettings]: JSON.stringify({
      metrics: config.metrics,
      windows: config.windows,
    }),
    POWERTOOLS_SERVICE_NAME: QUERY_SERVICE_NAME,
  };
}
