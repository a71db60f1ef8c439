import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { METRICS_NAMESPACE } from '../../../core/config/aggregateFunctionEnvironment.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import {
  QUERY_SERVICE_NAME,
  queryFunctionEnvironment,
} from '../../../core/config/queryFunctionEnvironment.js';
import {
  OTHER_ROUTE,
  QUERY_METRIC,
  ROUTE_DIMENSION,
  STATUS_DIMENSION,
} from '../../../functions/query/recordQueryMetrics.js';
import { LOCAL_CREDENTIALS } from '../../../local/awsClients.js';
import { httpApiEvent, lambdaContext } from '../../helpers/apiGatewayEvent.js';
import { captureEmf, type EmfCapture } from '../emfOutput.js';

type QueryHandler = typeof import('../../../functions/query/handler.js')['handler'];

describe('query handler metrics (EMF on stdout)', () => {
  let handler: QueryHandler;
  let emf: EmfCapture;

  const invoke = (path: string, rawQueryString = ''): Promise<APIGatewayProxyStructuredResultV2> =>
    handler({ ...httpApiEvent({ method: 'GET', path }), rawQueryString }, lambdaContext());

  beforeAll(async () => {
    // Prepare: the environment the stack gives the function; no table behind the endpoint
    const config = loadConfig();
    const variables = {
      ...queryFunctionEnvironment(config, { tableName: 'aggregates' }),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1',
      AWS_MAX_ATTEMPTS: '1',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'false',
      // "AWS_LAMBDA_INITIALIZATION_TYPE – The initialization type of the function, which is either
      // on-demand or provisioned-concurrency." (Lambda developer guide); Powertools counts a cold
      // start only for on-demand.
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    };
    for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value);
    // A fresh module: the handler is built at import, as in a new container.
    vi.resetModules();
    // Where the settings travel in the bundle, the Lambda entry hands them over before the import.
    const settingsModule = (await import(
      '../../../functions/query/readQueryEnvironment.js'
    )) as unknown as Record<string, unknown>;
    const provide = settingsModule.provideQuerySettings;
    if (typeof provide === 'function')
      provide({ metrics: config.metrics, windows: config.windows });
    ({ handler } = await import('../../../functions/query/handler.js'));
  });

  afterAll(() => {
    vi.unstubAllEnvs();
  });

  beforeEach(() => {
    emf = captureEmf();
    return () => emf.restore();
  });

  it('publishes ColdStart with the first request, and not with the second', async () => {
    // Act
    await invoke('/api/metrics');
    const afterFirst = emf.withMetric('ColdStart');
    await invoke('/api/metrics');

    // Assess
    expect(afterFirst).toEqual([
      expect.objectContaining({
        service: QUERY_SERVICE_NAME,
        function_name: lambdaContext().functionName,
        ColdStart: 1,
      }),
    ]);
    expect(emf.withMetric('ColdStart')).toHaveLength(1);
  });

  it('publishes Requests per route, without Errors for a 200', async () => {
    // Act
    const result = await invoke('/api/metrics');

    // Assess
    expect(result.statusCode).toBe(200);
    const [blob, ...others] = emf.withMetric(QUERY_METRIC.requests);
    expect(others).toEqual([]);
    expect(blob?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: METRICS_NAMESPACE,
        Dimensions: [['service', ROUTE_DIMENSION]],
        Metrics: [{ Name: QUERY_METRIC.requests, Unit: 'Count' }],
      },
    ]);
    expect(blob).toMatchObject({
      service: QUERY_SERVICE_NAME,
      [ROUTE_DIMENSION]: '/api/metrics',
      [QUERY_METRIC.requests]: 1,
    });
    expect(emf.withMetric(QUERY_METRIC.errors)).toEqual([]);
  });

  it.each([
    ['a bad parameter', '/api/top', 'metric=revenue&by=sum&by=count', 400, '/api/top'],
    ['an unknown path', '/api/nothing-here', '', 404, OTHER_ROUTE],
    ['an unreachable table', '/api/groups', 'metric=revenue', 500, '/api/groups'],
  ])('publishes Errors by status for %s', async (_case, path, query, status, route) => {
    // Act
    const result = await invoke(path, query);

    // Assess
    expect(result.statusCode).toBe(status);
    const [errors, ...others] = emf.withMetric(QUERY_METRIC.errors);
    expect(others).toEqual([]);
    expect(errors?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', STATUS_DIMENSION]]);
    expect(errors).toMatchObject({
      service: QUERY_SERVICE_NAME,
      [STATUS_DIMENSION]: String(status),
      [QUERY_METRIC.errors]: 1,
    });
    expect(emf.withMetric(QUERY_METRIC.requests)).toEqual([
      expect.objectContaining({ [ROUTE_DIMENSION]: route, [QUERY_METRIC.requests]: 1 }),
    ]);
  });
});
