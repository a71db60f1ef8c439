import { z } from 'zod';
import { configSchema } from '../../core/config/configSchema.js';
import { QUERY_FUNCTION_ENV } from '../../core/config/queryFunctionEnvironment.js';
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
  const name = QUERY_FUNCTION_ENV.querySettings;
  const raw = required(env, name);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new Error(`${name} is not valid JSON`, { cause: error });
  }
  const parsed = settingsSchema.safeParse(json, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const given = issue && 'input' in issue ? ` (given ${JSON.stringify(issue.input)})` : '';
    throw new Error(`${name}.${issue?.path.join('.')}: ${issue?.message}${given}`);
  }
  return { tableName: required(env, QUERY_FUNCTION_ENV.tableName), settings: parsed.data };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '')
    throw new Error(`\`${name}\` environment variable is not set`);
  return value;
}
