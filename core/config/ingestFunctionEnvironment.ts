import type { StreamfoldConfig } from './configSchema.js';

/** Names of the environment variables the ingest function reads. */
export const INGEST_FUNCTION_ENV = {
  /** The Kinesis stream accepted events are put into. */
  streamName: 'EVENT_STREAM_NAME',
  /** `config.ingest` and `config.events` as one JSON value. */
  ingestSettings: 'INGEST_SETTINGS',
} as const;

/** Service name the ingest function's Powertools logger reports. */
export const INGEST_SERVICE_NAME = 'streamfold-ingest';

/** The settings the ingest function needs from the configuration. */
export interface IngestSettings {
  ingest: StreamfoldConfig['ingest'];
  events: StreamfoldConfig['events'];
}

/** Resource names that differ between the local runtime and a deployed stack. */
export interface IngestFunctionResources {
  streamName: string;
}

/**
 * The ingest function's environment, built from the configuration. The CDK
 * stack and the tests both call this, so the function sees the settings the
 * local server uses.
 */
export function ingestFunctionEnvironment(
  config: StreamfoldConfig,
  resources: IngestFunctionResources,
): Record<string, string> {
  const settings: IngestSettings = { ingest: config.ingest, events: config.events };
  return {
    [INGEST_FUNCTION_ENV.streamName]: resources.streamName,
    [INGEST_FUNCTION_ENV.ingestSettings]: JSON.stringify(settings),
    POWERTOOLS_SERVICE_NAME: INGEST_SERVICE_NAME,
  };
}
