import {
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  INGEST_FUNCTION_ENV,
  ingestFunctionEnvironment,
} from '../../../core/config/ingestFunctionEnvironment.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import { readIngestEnvironment } from '../../../functions/ingest/readIngestEnvironment.js';
import { type AwsClients, createAwsClients, LOCAL_CREDENTIALS } from '../../../local/awsClients.js';
import { type RunningEmulators, startEmulators } from '../../../local/emulators/startEmulators.js';
import { httpApiEvent, lambdaContext } from '../../helpers/apiGatewayEvent.js';
import { sampleEvent } from '../../helpers/events.js';
import { createActiveStream, newEvents, readStreamEvents } from '../../helpers/readStreamEvents.js';

const STREAM = 'ingest-handler-test';
const config = loadConfig();
const savedEnv = { ...process.env };
let emulators: RunningEmulators;
let clients: AwsClients;
let handler: (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

function invoke(
  body: string,
  headers: Record<string, string> = { 'Content-Type': 'application/json' },
  isBase64Encoded = false,
) {
  return handler(httpApiEvent({ headers, body, isBase64Encoded }), lambdaContext());
}

const byId = (a: StreamfoldEvent, b: StreamfoldEvent) => a.id.localeCompare(b.id);

beforeAll(async () => {
  emulators = await startEmulators({ host: '127.0.0.1', ports: { kinesis: 0 } });
  const endpoint = `http://127.0.0.1:${emulators.ports.kinesis}`;
  clients = createAwsClients({ kinesis: endpoint, dynamodb: endpoint, s3: endpoint }, 'us-east-1');
  await createActiveStream(clients.kinesis, STREAM, 2);
  // The environment the stack gives the function, pointed at the emulator.
  Object.assign(process.env, {
    ...ingestFunctionEnvironment(config, { streamName: STREAM }),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_KINESIS: endpoint,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  const { createIngestHandler } = await import('../../../functions/ingest/createIngestHandler.js');
  handler = createIngestHandler(config.catalog);
});

afterAll(async () => {
  process.env = savedEnv;
  await emulators?.stop();
});

describe('ingest Lambda handler with API Gateway HTTP API events, against kinesalite', () => {
  it('answers 200 after the events are in the stream, exactly once each', async () => {
    // Prepare
    const events = [sampleEvent('purchase'), sampleEvent('page_view'), sampleEvent('add_to_cart')];

    // Act
    const result = await invoke(JSON.stringify(events));
    const landed = await readStreamEvents(clients.kinesis, STREAM);

    // Assess
    expect(result).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ accepted: 3 }),
    });
    expect(landed.sort(byId)).toEqual([...events].sort(byId));
  });

  it('decodes a base64 body, lands the valid events and reports the invalid one', async () => {
    // Prepare: API Gateway base64-encodes bodies it does not consider text
    const before = await readStreamEvents(clients.kinesis, STREAM);
    const valid = [sampleEvent('page_view'), sampleEvent('page_view')];
    const invalid = sampleEvent('page_view', { data: { device: 'toaster' as never } });
    const body = Buffer.from(JSON.stringify([valid[0], invalid, valid[1]])).toString('base64');

    // Act
    const result = await invoke(body, { 'Content-Type': 'application/json; charset=UTF-8' }, true);
    const landed = newEvents(before, await readStreamEvents(clients.kinesis, STREAM));

    // Assess
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body as string)).toEqual({
      accepted: 2,
      rejected: 1,
      errors: [
        expect.objectContaining({
          index: 1,
          id: invalid.id,
          code: 'schema_violation',
          field: 'data.device',
        }),
      ],
    });
    expect(landed.sort(byId)).toEqual([...valid].sort(byId));
  });

  it('answers 415 and puts nothing when the content type is not JSON', async () => {
    const before = await readStreamEvents(clients.kinesis, STREAM);

    const result = await invoke(JSON.stringify([sampleEvent('purchase')]), {
      'Content-Type': 'text/plain',
    });
    const after = await readStreamEvents(clients.kinesis, STREAM);

    expect(result.statusCode).toBe(415);
    expect(JSON.parse(result.body as string)).toMatchObject({ error: 'unsupported_media_type' });
    expect(after).toHaveLength(before.length);
  });

  it('answers 503 with every id to re-send when the stream is gone', async () => {
    // Prepare: a real refusal, the stream deleted in the emulator
    await clients.kinesis.send(new DeleteStreamCommand({ StreamName: STREAM }));
    for (;;) {
      try {
        await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }));
      } catch (error) {
        if (error instanceof ResourceNotFoundException) break;
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const events = [sampleEvent('purchase'), sampleEvent('page_view')];

    // Act
    const result = await invoke(JSON.stringify(events));

    // Assess
    expect(result.statusCode).toBe(503);
    expect(result.headers).toMatchObject({ 'retry-after': '1' });
    expect(JSON.parse(result.body as string)).toMatchObject({
      error: 'stream_unavailable',
      accepted: 0,
      unacknowledgedIds: events.map((event) => event.id),
    });
  });
});

describe('readIngestEnvironment', () => {
  const complete = ingestFunctionEnvironment(config, { streamName: STREAM });

  it('reads the settings the stack writes when given a complete environment', () => {
    const environment = readIngestEnvironment(complete);

    expect(environment).toEqual({
      streamName: STREAM,
      settings: { ingest: config.ingest, events: config.events },
    });
  });

  it('throws naming the variable when the stream name is missing', () => {
    const { [INGEST_FUNCTION_ENV.streamName]: _omitted, ...rest } = complete;

    expect(() => readIngestEnvironment(rest)).toThrow(
      '`EVENT_STREAM_NAME` environment variable is not set',
    );
  });

  it('throws naming the setting and the value when a limit is invalid', () => {
    const settings = {
      ingest: { ...config.ingest, maxEventsPerRequest: 0 },
      events: config.events,
    };

    expect(() =>
      readIngestEnvironment({
        ...complete,
        [INGEST_FUNCTION_ENV.ingestSettings]: JSON.stringify(settings),
      }),
    ).toThrow(
      'INGEST_SETTINGS.ingest.maxEventsPerRequest: Too small: expected number to be >=1 (given 0)',
    );
  });
});
