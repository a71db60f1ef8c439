import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

/** What a test sets in an HTTP API request; the rest is filled as API Gateway would. */
export interface HttpApiRequestSpec {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}

/**
 * An API Gateway HTTP API (payload format 2.0) proxy event, as the service
 * sends it to a Lambda integration behind an IAM-authorized route.
 */
export function httpApiEvent(spec: HttpApiRequestSpec = {}): APIGatewayProxyEventV2 {
  const method = spec.method ?? 'POST';
  const path = spec.path ?? '/events';
  const now = new Date();
  // Payload format 2.0 delivers header names in lower case.
  const headers = Object.fromEntries(
    Object.entries(spec.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api1234567',
      domainName: 'api1234567.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'api1234567',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' },
      requestId: `req-${now.getTime()}`,
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: spec.body,
    isBase64Encoded: spec.isBase64Encoded ?? false,
  };
}

/** A Lambda context whose remaining time counts down from `timeoutMs`. */
export function lambdaContext(timeoutMs = 15_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'streamfold-ingest',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:streamfold-ingest',
    memoryLimitInMB: '512',
    awsRequestId: `aws-req-${Date.now()}`,
    logGroupName: '/aws/lambda/streamfold-ingest',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
