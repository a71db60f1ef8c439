import { z } from 'zod';
import { configSchema } from '../../core/config/configSchema.js';
import {
  INGEST_FUNCTION_ENV,
  type IngestSettings,
} from '../../core/config/ingestFunctionEnvironment.js';
import { jsonSettingsVariable, requiredVariable } from '../readEnvironmentVariables.js';

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
  const settings = jsonSettingsVariable(env, INGEST_FUNCTION_ENV.ingestSettings, settingsSchema);
  return { streamName: requiredVariable(env, INGEST_FUNCTION_ENV.streamName), settings };
}
