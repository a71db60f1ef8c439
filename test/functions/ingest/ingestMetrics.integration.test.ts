import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { METRICS_NAMESPACE } from '../../../core/config/aggregateFunctionEnvironment.js';
import {
  INGEST_SERVICE_NAME,
  ingestFunctionEnvironment,
} from '../../../core/config/ingestFunctionEnvironment.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import {
  createIngestHandler,
  type IngestHandler,
} from '../../../functions/ingest/createIngestHandler.js';
import { INGEST_METRIC } from '../../../functions/ingest/recordIngestMetrics.js';
import { LOCAL_CREDENTIALS } from '../../../local/awsClients.js';
import type { RunningEmulators } from '../../../local/emulators/startEmulators.js';
import { httpApiEvent, lambdaContext } from '../../helpers/apiGatewayEvent.js';
import { sampleEvent } from '../../helpers/events.js';
import { createActiveStream } from '../../helpers/readStreamEvents.js';
import { startTestEmulators } from '../../helpers/testEmulators.js';
import { captureEmf, type EmfCapture } from '../emfOutput.js';

const STREAM = 'ingest-metrics-test';
// 1 s, the least allowed: the failure cases wait for it.
const config = loadConfig({ ingest: { acknowledgeTimeout: '1s' } });
let emulators: RunningEmulators;
let endpoint: string;

const json = { 'Content-Type': 'application/json' };
const post = (handler: IngestHandler, body: string, headers: Record<string, string> = json) =>
  handler(httpApiEvent({ headers, body }), lambdaContext());

/** The ingest handler for `streamName` with the environment the stack gives it, at `kinesisEndpoint`. */
function ingestHandler(streamName: string, kinesisEndpoint: string): IngestHandler {
  const variables = {
    ...ingestFunctionEnvironment(config, { streamName }),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_KINESIS: kinesisEndpoint,
    // The producer retries; the SDK's own retries would only hide them.
    AWS_MAX_ATTEMPTS: '1',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  };
  // The SDK reads its endpoint and credentials from process.env.
  for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value);
  return createIngestHandler(config.catalog, variables);
}

beforeAll(async () => {
  ({ emulators } = await startTestEmulators({ kinesis: true }));
  endpoint = `http://127.0.0.1:${emulators.ports.kinesis}`;
  const { createAwsClients } = await import('../../../local/awsClients.js');
  const clients = createAwsClients(
    { kinesis: endpoint, dynamodb: endpoint, s3: endpoint },
    'us-east-1',
  );
  await createActiveStream(clients.kinesis, STREAM, 1);
});

afterAll(async () => {
  await emulators?.stop();
});

describe('ingest handler metrics (EMF on stdout), against kinesalite', () => {
  let emf: EmfCapture;

  beforeEach(() => {
    // "AWS_LAMBDA_INITIALIZATION_TYPE – The initialization type of the function, which is either
    // on-demand or provisioned-concurrency." (Lambda developer guide); Powertools counts a cold
    // start only for on-demand.
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    emf = captureEmf();
  });

  afterEach(() => {
    emf.restore();
    vi.unstubAllEnvs();
  });

  it('publishes the request, accepted and refused events, and the refusals by code', async () => {
    // Prepare
    const handler = ingestHandler(STREAM, endpoint);
    const invalid = sampleEvent('page_view', { data: { device: 'toaster' as never } });
    const body = JSON.stringify([sampleEvent('purchase'), invalid, sampleEvent('page_view')]);

    // Act
    const result = await post(handler, body);

    // Assess
    expect(result.statusCode).toBe(400);
    const [blob, ...others] = emf.withMetric(INGEST_METRIC.requests);
    expect(others).toEqual([]);
    expect(blob?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      Dimensions: [['service']],
    });
    expect(blob).toMatchObject({
      service: INGEST_SERVICE_NAME,
      [INGEST_METRIC.requests]: 1,
      [INGEST_METRIC.eventsAccepted]: 2,
      [INGEST_METRIC.eventsRefused]: 1,
      [INGEST_METRIC.eventsUnacknowledged]: 0,
      [INGEST_METRIC.putRecordsRetried]: 0,
      [INGEST_METRIC.putRecordsThrottled]: 0,
      [INGEST_METRIC.eventsPutFailed]: 0,
    });
    const byCode = emf
      .withMetric(INGEST_METRIC.eventsRefused)
      .filter((b) => b._aws.CloudWatchMetrics[0]?.Dimensions[0]?.includes('code'));
    expect(byCode).toEqual([
      expect.objectContaining({ code: 'schema_violation', [INGEST_METRIC.eventsRefused]: 1 }),
    ]);
  });

  it('publishes a request refused whole with its code', async () => {
    // Prepare
    const handler = ingestHandler(STREAM, endpoint);

    // Act
    const result = await post(handler, '[]', { 'Content-Type': 'text/plain' });

    // Assess
    expect(result.statusCode).toBe(415);
    expect(emf.withMetric(INGEST_METRIC.requestsRefused)).toEqual([
      expect.objectContaining({
        service: INGEST_SERVICE_NAME,
        code: 'unsupported_media_type',
        [INGEST_METRIC.requestsRefused]: 1,
      }),
    ]);
    expect(emf.withMetric(INGEST_METRIC.requests)[0]).toMatchObject({
      [INGEST_METRIC.requests]: 1,
      [INGEST_METRIC.eventsAccepted]: 0,
    });
  });

  it('publishes the events the stream refused for good (no such stream)', async () => {
    // Prepare: ResourceNotFoundException is not retried
    const handler = ingestHandler('no-such-stream', endpoint);

    // Act
    const result = await post(handler, JSON.stringify([sampleEvent('purchase')]));

    // Assess
    expect(result.statusCode).toBe(503);
    expect(emf.withMetric(INGEST_METRIC.requests)[0]).toMatchObject({
      [INGEST_METRIC.eventsAccepted]: 0,
      [INGEST_METRIC.eventsUnacknowledged]: 1,
      [INGEST_METRIC.eventsPutFailed]: 1,
    });
    expect(emf.withMetric(INGEST_METRIC.requestsRefused)).toEqual([
      expect.objectContaining({ code: 'stream_unavailable', [INGEST_METRIC.requestsRefused]: 1 }),
    ]);
  });

  it('publishes the PutRecords retries while the stream is unreachable', async () => {
    // Prepare: nothing listens on port 1, so every call fails with ECONNREFUSED (retried)
    const handler = ingestHandler(STREAM, 'http://127.0.0.1:1');

    // Act
    const result = await post(handler, JSON.stringify([sampleEvent('purchase')]));

    // Assess
    expect(result.statusCode).toBe(503);
    const [blob] = emf.withMetric(INGEST_METRIC.requests);
    expect(blob).toMatchObject({ [INGEST_METRIC.eventsUnacknowledged]: 1 });
    expect(blob?.[INGEST_METRIC.putRecordsRetried]).toBeGreaterThanOrEqual(1);
  });

  it('publishes ColdStart on the first request only', async () => {
    // Prepare
    const handler = ingestHandler(STREAM, endpoint);

    // Act
    await post(handler, JSON.stringify([sampleEvent('purchase')]));
    await post(handler, JSON.stringify([sampleEvent('purchase')]));

    // Assess
    expect(emf.withMetric('ColdStart')).toEqual([
      expect.objectContaining({
        service: INGEST_SERVICE_NAME,
        function_name: lambdaContext().functionName,
        ColdStart: 1,
      }),
    ]);
    expect(emf.withMetric(INGEST_METRIC.requests)).toHaveLength(2);
  });
});
