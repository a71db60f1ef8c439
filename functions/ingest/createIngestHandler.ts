import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { METRICS_NAMESPACE } from '../../core/config/aggregateFunctionEnvironment.js';
import { INGEST_SERVICE_NAME } from '../../core/config/ingestFunctionEnvironment.js';
import type { EventCatalog } from '../../core/events/catalog.js';
import { KinesisProducer } from '../../producers/KinesisProducer.js';
import { loadTracer } from '../observability/loadTracer.js';
import { publishMetricsAfter } from '../observability/publishMetricsAfter.js';
import { traceInvocation } from '../observability/traceInvocation.js';
import { ingestDependenciesFor } from './ingestDependenciesFor.js';
import { ingestEvents } from './ingestEvents.js';
import { readIngestEnvironment } from './readIngestEnvironment.js';
import { putCountsOf, recordIngestMetrics } from './recordIngestMetrics.js';

/**
 * Time kept back from the function's remaining time to build and return the
 * 503 response, ms, so a slow stream yields the list of events to re-send
 * rather than a function timeout.
 */
const RESPONSE_MARGIN_MS = 1_000;

/** The Lambda function's handler for `POST /events` behind API Gateway. */
export type IngestHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Builds the ingest function's handler for `catalog` (the configuration's),
 * reading the rest of its settings from the environment the stack gives the
 * function (`ingestFunctionEnvironment`). The handler sits behind API Gateway
 * (HTTP API, payload format 2.0); all the work is in {@link ingestEvents}, and
 * the response is returned only after Kinesis acknowledged the accepted events.
 *
 * @throws {Error} when a variable of the environment is missing or invalid
 */
export function createIngestHandler(
  catalog: EventCatalog,
  variables: NodeJS.ProcessEnv = process.env,
): IngestHandler {
  // Read once per container: a missing variable fails the cold start, not every request.
  const environment = readIngestEnvironment(variables);
  const logger = new Logger();
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: INGEST_SERVICE_NAME });
  // HTTP/1.1: PutRecords needs nothing HTTP/2 offers, and the local Kinesis emulator speaks only 1.1.
  const kinesis = new KinesisClient({
    requestHandler: new NodeHttpHandler({ httpAgent: { keepAlive: true } }),
  });
  // Loaded only when the stack turned tracing on; the client is traced before the first request.
  const tracing = loadTracer(INGEST_SERVICE_NAME, variables).then((tracer) => {
    tracer?.captureAWSv3Client(kinesis);
    return tracer;
  });
  const producer = new KinesisProducer({
    catalog,
    client: kinesis,
    streamName: environment.streamName,
    // Many short-lived containers put concurrently, so a per-container shard map and rate limit
    // would not add up to the shard's limit: route by partition key and let per-entry retry
    // absorb throttling. This also keeps the role to kinesis:PutRecords.
    shardAware: false,
    // The response waits for the acknowledgement; a request's events are all put at once.
    lingerMs: 5,
    statsIntervalMs: 0,
    logger,
  });
  const dependencies = ingestDependenciesFor(environment.settings, catalog, producer, {
    warn: (message, details) => logger.warn(message, details),
  });
  const handler = async (
    event: APIGatewayProxyEventV2,
    context: Context,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    logger.addContext(context);
    const tracer = await tracing;
    return publishMetricsAfter(metrics, context, () =>
      traceInvocation(tracer, 'ingest', async () => {
        const before = putCountsOf(producer.stats);
        const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
        const response = await ingestEvents(
          // HTTP APIs lower-case header names in payload format 2.0.
          { contentType: event.headers?.['content-type'], body },
          {
            ...dependencies,
            acknowledgeTimeoutMs: Math.max(
              0,
              Math.min(
                dependencies.acknowledgeTimeoutMs,
                context.getRemainingTimeInMillis() - RESPONSE_MARGIN_MS,
              ),
            ),
          },
        );
        recordIngestMetrics(metrics, response, before, putCountsOf(producer.stats));
        if (response.status !== 200) {
          logger.info('request not fully accepted', {
            status: response.status,
            ...('error' in response.body ? { error: response.body.error } : {}),
            ...('rejected' in response.body ? { rejected: response.body.rejected } : {}),
          });
        }
        return {
          statusCode: response.status,
          headers: response.headers,
          body: JSON.stringify(response.body),
        };
      }),
    );
  };
  return handler;
}
