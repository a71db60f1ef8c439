import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { answerQueryRequest, type QueryDependencies } from './queryRoutes.js';
import { readQueryEnvironment } from './readQueryEnvironment.js';

// Read once per container: a missing variable fails the cold start, not every request.
const environment = readQueryEnvironment(process.env);
const logger = new Logger();
const dependencies: QueryDependencies = {
  dynamodb: new DynamoDBClient({}),
  tableName: environment.tableName,
  settings: environment.settings,
  now: () => Date.now(),
};

/**
 * Lambda entry point behind API Gateway (HTTP API, payload format 2.0) for the
 * `GET /api/...` query routes. All the work is in {@link answerQueryRequest}.
 */
export async function handler(
  event: APIGatewayProxyEventV2,
  context: Context,
): Promise<APIGatewayProxyStructuredResultV2> {
  logger.addContext(context);
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
}
