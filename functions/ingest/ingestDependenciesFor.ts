import type { IngestSettings } from '../../core/config/ingestFunctionEnvironment.js';
import { parseDuration } from '../../core/duration.js';
import type { EventCatalog } from '../../core/events/catalog.js';
import type { EventSink, IngestDependencies, IngestLogger } from './types.js';

/**
 * The dependencies of {@link ingestEvents} from the configuration's `ingest` and
 * `events` settings. The Lambda handler and the local HTTP server both call it,
 * so both enforce the same limits and the same event time window.
 *
 * @example
 * const dependencies = ingestDependenciesFor(config, config.catalog, producer);
 */
export function ingestDependenciesFor(
  settings: IngestSettings,
  catalog: EventCatalog,
  sink: EventSink,
  logger?: IngestLogger,
): IngestDependencies {
  const { ingest, events } = settings;
  return {
    sink,
    catalog,
    limits: {
      maxRequestBytes: ingest.maxRequestBytes,
      maxEventsPerRequest: ingest.maxEventsPerRequest,
    },
    // The schema has already checked these are durations; 0 is never reached.
    acknowledgeTimeoutMs: parseDuration(ingest.acknowledgeTimeout) ?? 0,
    timeWindow: {
      maxLatenessMs: parseDuration(events.maxLateness) ?? 0,
      maxFutureSkewMs: parseDuration(events.maxFutureSkew) ?? 0,
    },
    ...(logger ? { logger } : {}),
  };
}
