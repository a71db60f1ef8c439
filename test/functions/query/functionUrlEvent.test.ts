import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config/loadConfig.js';
import {
  queryFunctionEnvironment,
  querySettingsOf,
} from '../../../core/config/queryFunctionEnvironment.js';
import { provideQuerySettings } from '../../../functions/query/readQueryEnvironment.js';
import { lambdaContext } from '../../helpers/apiGatewayEvent.js';

const config = loadConfig();

/**
 * A Lambda function URL event as the query function gets it behind the dashboard's
 * CloudFront distribution (origin access control, so IAM-authorized as CloudFront's
 * service principal). The Lambda Developer Guide: "The request and response event formats
 * follow the same schema as the Amazon API Gateway payload format version 2.0." What differs
 * from an HTTP API event: `routeKey` and `stage` are `$default`, the domain is the URL's,
 * and CloudFront's headers come along.
 */
function functionUrlEvent(path: string, rawQueryString: string): APIGatewayProxyEventV2 {
  const now = new Date();
  const domainName = 'abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-central-1.on.aws';
  const queryStringParameters = Object.fromEntries(
    [...new URLSearchParams(rawQueryString)].map(([name]) => [
      name,
      new URLSearchParams(rawQueryString).getAll(name).join(','),
    ]),
  );
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString,
    headers: {
      host: domainName,
      via: '2.0 0123456789abcdef0123456789abcdef.cloudfront.net (CloudFront)',
      'x-amz-cf-id': 'Qg3LpGQOzkCB3OVPx8oRSvNcmYbSdUoLNUJVO3HW2fqM8pHIE3CVNg==',
      'x-amzn-tls-version': 'TLSv1.3',
      'x-forwarded-for': '192.0.2.10, 198.51.100.7',
      'x-forwarded-proto': 'https',
      'x-forwarded-port': '443',
    },
    ...(rawQueryString === '' ? {} : { queryStringParameters }),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abcdefghijklmnopqrstuvwxyz012345',
      authorizer: {
        iam: {
          accessKey: 'ASIAEXAMPLE',
          accountId: '123456789012',
          callerId: 'AROAEXAMPLE:CloudFront',
          cognitoIdentity: null,
          principalOrgId: null,
          userArn: 'arn:aws:sts::123456789012:assumed-role/CloudFront/CloudFront',
          userId: 'AROAEXAMPLE:CloudFront',
        },
      },
      domainName,
      domainPrefix: 'abcdefghijklmnopqrstuvwxyz012345',
      http: {
        method: 'GET',
        path,
        protocol: 'HTTP/1.1',
        sourceIp: '198.51.100.7',
        userAgent: 'Amazon CloudFront',
      },
      requestId: `req-${now.getTime()}`,
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  } as APIGatewayProxyEventV2;
}

describe('query Lambda handler with function URL events (behind the dashboard distribution)', () => {
  let handler: typeof import('../../../functions/query/handler.js')['handler'];

  beforeAll(async () => {
    // Prepare: the routes below answer from the settings alone, so no table is needed
    Object.assign(process.env, {
      ...queryFunctionEnvironment(config, { tableName: 'streamfold-aggregates-test' }),
      AWS_REGION: 'eu-central-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      // Nothing listens here: a route that reached DynamoDB would fail the test.
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
      AWS_MAX_ATTEMPTS: '1',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    provideQuerySettings(querySettingsOf(config));
    ({ handler } = await import('../../../functions/query/handler.js'));
  });

  async function invoke(path: string, query = ''): Promise<APIGatewayProxyStructuredResultV2> {
    return handler(functionUrlEvent(path, query), lambdaContext());
  }

  it('answers GET /api/metrics from the raw path, as through the HTTP API', async () => {
    // Act
    const result = await invoke('/api/metrics');

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['content-type']).toBe('application/json; charset=utf-8');
    const body = JSON.parse(result.body as string) as { metrics: { name: string }[] };
    expect(body.metrics.map((metric) => metric.name)).toEqual(
      config.metrics.map((metric) => metric.name),
    );
  });

  it('reads parameters from rawQueryString, where repeated names stay apart', async () => {
    // Act
    const result = await invoke('/api/top', 'metric=revenue&by=sum&by=count');

    // Assess
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body as string)).toMatchObject({
      error: 'bad_parameter',
      message: expect.stringMatching(/^by: given more than once/),
    });
  });

  it('answers 404 for a path outside the query routes', async () => {
    // Act
    const result = await invoke('/api/nothing-here');

    // Assess
    expect(result.statusCode).toBe(404);
  });
});
