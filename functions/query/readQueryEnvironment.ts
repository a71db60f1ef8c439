import { z } from 'zod';
import { configSchema } from '../../core/config/configSchema.js';
import { QUERY_FUNCTION_ENV } from '../../core/config/queryFunctionEnvironment.js';
import { requiredVariable } from '../readEnvironmentVariables.js';
import type { QuerySettings } from './QuerySettings.js';

/** The query function's settings: from its bundle, and the table name from its environment. */
export interface QueryEnvironment {
  tableName: string;
  settings: QuerySettings;
}

const settingsSchema = z.object({
  metrics: configSchema.shape.metrics,
  windows: configSchema.shape.windows,
});

/** The settings given by {@link provideQuerySettings}, validated. */
let provided: QuerySettings | undefined;

/**
 * Gives the query function its settings (`querySettingsOf(config)`) before
 * `handler.ts` reads them at module load. The Lambda entry generated at synth
 * (`infra/lambdaEntry.ts`) calls it from a module it imports ahead of the
 * handler, so the settings travel in the bundle rather than in the function's
 * environment, which Lambda limits to 4 KB.
 *
 * @throws {Error} naming the invalid setting and the value
 */
export function provideQuerySettings(settings: unknown): void {
  const parsed = settingsSchema.safeParse(settings, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const given = issue && 'input' in issue ? ` (given ${JSON.stringify(issue.input)})` : '';
    throw new Error(`query settings ${issue?.path.join('.')}: ${issue?.message}${given}`);
  }
  provided = parsed.data;
}

/**
 * Reads the query function's environment and the settings given to
 * {@link provideQuerySettings}.
 *
 * @throws {Error} "`NAME` environment variable is not set", or when no settings were provided
 */
export function readQueryEnvironment(env: NodeJS.ProcessEnv): QueryEnvironment {
  if (provided === undefined) {
    throw new Error(
      'query settings were not provided: the Lambda entry calls provideQuerySettings() before importing the handler',
    );
  }
  return { tableName: requiredVariable(env, QUERY_FUNCTION_ENV.tableName), settings: provided };
}
