import { z } from 'zod';
import { configSchema } from '../../core/config/configSchema.js';
import {
  INGEST_FUNCTION_ENV,
  type IngestSettings,
} from '../../core/config/ingestFunctionEnvironment.js';

/** The ingest function's settings, read from its environment. */
export interface IngestEnvironment {
  streamName: string;
  settings: IngestSettings;
}

const settingsSchema = z.object({
  ingest: configSchema.shape.ingest,
  events: configSchema.shape.events,
});

/**
 * Reads and validates the ingest function's environment.
 *
 * @throws {Error} "`NAME` environment variable is not set", or naming the invalid setting
 */
export function readIngestEnvironment(env: NodeJS.ProcessEnv): IngestEnvironment {
  const name = INGEST_FUNCTION_ENV.ingestSettings;
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
  return { streamName: required(env, INGEST_FUNCTION_ENV.streamName), settings: parsed.data };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '')
    throw new Error(`\`${name}\` environment variable is not set`);
  return value;
}
