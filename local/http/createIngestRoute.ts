import { ingestEvents } from '../../functions/ingest/ingestEvents.js';
import type { IngestDependencies } from '../../functions/ingest/types.js';
import type { RouteHandler } from './HttpRouter.js';
import { readRequestBody } from './readRequestBody.js';
import { sendJson } from './sendJson.js';

/**
 * The local `POST /events` route: reads the body (capped at the configured
 * maximum) and answers with what {@link ingestEvents} decides, the same
 * function the Lambda handler calls on AWS.
 */
export function createIngestRoute(dependencies: IngestDependencies): RouteHandler {
  return async (request, response) => {
    const { body, bytes } = await readRequestBody(request, dependencies.limits.maxRequestBytes);
    const result = await ingestEvents(
      { contentType: request.headers['content-type'], body, bodyBytes: bytes },
      dependencies,
    );
    sendJson(response, result.status, result.body, result.headers);
  };
}
