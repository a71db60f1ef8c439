import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { METRICS_NAMESPACE } from '../../core/config/aggregateFunctionEnvironment.js';
import { QUERY_SERVICE_NAME } from '../../core/config/queryFunctionEnvironment.js';
import { loadTracer } from '../observability/loadTracer.js';
import { publishMetricsAfter } from '../observability/publishMetricsAfter.js';
import { traceInvocation } from '../observability/traceInvocation.js';
import { answerQueryRequest, type QueryDependencies } from './queryRoutes.js';
import { readQueryEnvironment } from './readQueryEnvironment.js';
import { recordQueryMetrics } from './recordQueryMetrics.js';

// Read once per container: a missing variable fails the cold start, not every request.
const environment = readQueryEnvironment(process.env);
const logger = new Logger();
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: QUERY_SERVICE_NAME });
const dynamodb = new DynamoDBClient({});
// Loaded only when the stack turned tracing on; the client is traced before the first request.
const tracing = loadTracer(QUERY_SERVICE_NAME).then((tracer) => {
  tracer?.captureAWSv3Client(dynamodb);
  return tracer;
});
const dependencies: QueryDependencies = {
  dynamodb,
  tableName: environment.tableName,
  settings: environment.settings,
  now: () => Date.now(),
};

/**
 * Lambda entry point behind API Gateway (HTTP API, payload format 2.0) for the
 * `GET /api/...` query routes. All the work is in {@link answerQueryRequest};
 * each request publishes `Requests` by route and `Errors` by status.
 */
export async function handler(
  event: APIGatewayProxyEventV2,
  context: Context,
): Promise<APIGatewayProxyStructuredResultV2> {
  logger.addContext(context);
  const tracer = await tracing;
  return publishMetricsAfter(metrics, context, () =>
    traceInvocation(tracer, 'query', async () => {
      const response = await answerQueryRequest(
        {
          method: event.requestContext.http.method,
          path: event.rawPath,
          // rawQueryString keeps repeated names apart; queryStringParameters joins them with commas.
          query: new URLSearchParams(event.rawQueryString ?? ''),
        },
        dependencies,
        (error) => logger.error('query failed', { path: event.rawPath, error: error as Error }),
      );
      recordQueryMetrics(metrics, event.rawPath, response.status);
      if (response.status >= 400 && response.status < 500) {
        logger.info('query refused', {
          status: response.status,
          path: event.rawPath,
          body: response.body as Record<string, unknown>,
        });
      }
      return {
        statusCode: response.status,
        headers: response.headers,
        body: JSON.stringify(response.body),
      };
    }),
  );
}
