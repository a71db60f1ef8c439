import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListDeliveryStreamsCommand } from '@aws-sdk/client-firehose';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, ListBucketsCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients, createFirehoseClient } from '../../local/awsClients.js';
import { type ChaosProxy, startChaosProxy } from '../../local/chaos/ChaosProxy.js';
import { type RunningEmulators, startEmulators } from '../../local/emulators/startEmulators.js';
import { LocalFirehose } from '../../local/firehose/LocalFirehose.js';
import { corsHeadersOf, type RawHttpRequest, rawHttpRequest } from './http/rawHttpRequest.js';

const HOST = '127.0.0.1';
const REGION = 'us-east-1';
const EVIL_ORIGIN = 'https://evil.example';

/** SigV4-shaped headers: kinesalite and dynalite want them present, and check no signature. */
function signedHeaders(
  service: string,
  target: string,
  contentType: string,
): Record<string, string> {
  const date = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  return {
    'x-amz-target': target,
    'content-type': contentType,
    'x-amz-date': date,
    authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${date.slice(0, 8)}/${REGION}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`,
  };
}

/** One read-only call per endpoint, as an SDK would send it, and a text its answer holds. */
const CALLS: Record<string, { request: () => RawHttpRequest; answer: string }> = {
  kinesis: {
    request: () => ({
      method: 'POST',
      headers: signedHeaders(
        'kinesis',
        'Kinesis_20131202.ListStreams',
        'application/x-amz-json-1.1',
      ),
      body: '{}',
    }),
    answer: '"StreamNames"',
  },
  dynamodb: {
    request: () => ({
      method: 'POST',
      headers: signedHeaders(
        'dynamodb',
        'DynamoDB_20120810.ListTables',
        'application/x-amz-json-1.0',
      ),
      body: '{}',
    }),
    answer: '"TableNames"',
  },
  s3: { request: () => ({ method: 'GET' }), answer: 'ListAllMyBucketsResult' },
  firehose: {
    request: () => ({
      method: 'POST',
      headers: {
        'x-amz-target': 'Firehose_20150804.ListDeliveryStreams',
        'content-type': 'application/x-amz-json-1.1',
      },
      body: '{}',
    }),
    answer: '"DeliveryStreamNames"',
  },
};

let emulators: RunningEmulators;
let firehose: LocalFirehose;
let proxy: ChaosProxy;
let s3: S3Client;
/** Base URL per endpoint name. */
const endpoints: Record<string, string> = {};

beforeAll(async () => {
  emulators = await startEmulators({ host: HOST, ports: { kinesis: 0, dynamodb: 0, s3: 0 } });
  const url = (port: number | undefined) => `http://${HOST}:${port}`;
  endpoints.kinesis = url(emulators.ports.kinesis);
  endpoints.dynamodb = url(emulators.ports.dynamodb);
  endpoints.s3 = url(emulators.ports.s3);
  s3 = createAwsClients(
    { kinesis: endpoints.kinesis, dynamodb: endpoints.dynamodb, s3: endpoints.s3 },
    REGION,
  ).s3;
  // s3rver answers ListBuckets with 500 until its first bucket makes its folder.
  await s3.send(new CreateBucketCommand({ Bucket: 'browser-requests' }));
  firehose = await LocalFirehose.start({
    host: HOST,
    port: 0,
    region: REGION,
    s3,
    deliveryStreams: [],
  });
  endpoints.firehose = firehose.endpoint;
  // The proxy sets Host to the emulator's when it forwards: it must check Host before that.
  proxy = await startChaosProxy({
    host: HOST,
    port: 0,
    target: endpoints.kinesis,
    decide: () => ({ kind: 'forward' }),
  });
  endpoints['kinesis behind the chaos proxy'] = proxy.endpoint;
});

afterAll(async () => {
  await proxy?.stop();
  await firehose?.stop();
  await emulators?.stop();
});

/** The call of an endpoint: the proxy's is Kinesis's. */
function callOf(name: string): { request: RawHttpRequest; answer: string } {
  const call = CALLS[name.split(' ')[0] ?? name] as (typeof CALLS)[string];
  return { request: call.request(), answer: call.answer };
}

function expectRefused(response: Awaited<ReturnType<typeof rawHttpRequest>>, reason: string): void {
  expect(response.status).toBe(403);
  expect(response.body).toMatch(/^refused: /);
  expect(response.body).toContain(reason);
  expect(corsHeadersOf(response)).toEqual([]);
}

describe.each(['kinesis', 'dynamodb', 's3', 'firehose', 'kinesis behind the chaos proxy'])(
  'the %s endpoint',
  (name) => {
    it.each(['127.0.0.1', 'localhost', '[::1]'])(
      'serves a call without Origin whose Host is %s and its port',
      async (hostName) => {
        // Prepare
        const { request, answer } = callOf(name);
        const { port } = new URL(endpoints[name] as string);
        // s3rver reads a Host it does not know as a virtual-hosted bucket name, [::1] too:
        // its own NoSuchBucket shows that the request got past the guard.
        const expected =
          name === 's3' && hostName === '[::1]'
            ? { status: 404, answer: 'NoSuchBucket' }
            : { status: 200, answer };

        // Act
        const response = await rawHttpRequest(endpoints[name] as string, {
          ...request,
          headers: { ...request.headers, host: `${hostName}:${port}` },
        });

        // Assess
        expect(response.status).toBe(expected.status);
        expect(response.body).toContain(expected.answer);
      },
    );

    it("serves a call carrying only Sec-Fetch-Mode, as Node's own fetch sends it", async () => {
      // Prepare
      const { request, answer } = callOf(name);

      // Act
      const response = await rawHttpRequest(endpoints[name] as string, {
        ...request,
        headers: { ...request.headers, 'sec-fetch-mode': 'cors' },
      });

      // Assess
      expect(response.status).toBe(200);
      expect(response.body).toContain(answer);
    });

    it('refuses the same call from a page on another origin, with no CORS headers', async () => {
      // Prepare
      const { request } = callOf(name);

      // Act
      const response = await rawHttpRequest(endpoints[name] as string, {
        ...request,
        headers: { ...request.headers, origin: EVIL_ORIGIN },
      });

      // Assess
      expectRefused(response, `origin: ${EVIL_ORIGIN}`);
    });

    it('refuses a CORS preflight, with no CORS headers', async () => {
      // Act
      const response = await rawHttpRequest(endpoints[name] as string, {
        method: 'OPTIONS',
        headers: {
          origin: EVIL_ORIGIN,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type,x-amz-date,x-amz-target',
        },
      });

      // Assess
      expectRefused(response, 'requests from web browsers');
    });

    it('refuses a no-cors request, which carries Sec-Fetch headers and no Origin', async () => {
      // Prepare: what <img src> or <script src> on another site sends
      const { request } = callOf(name);

      // Act
      const response = await rawHttpRequest(endpoints[name] as string, {
        ...request,
        headers: {
          ...request.headers,
          'sec-fetch-site': 'cross-site',
          'sec-fetch-mode': 'no-cors',
        },
      });

      // Assess
      expectRefused(response, 'sec-fetch-site: cross-site');
    });

    it.each(['evil.example:PORT', 'evil.example', 'localhost:1', '127.0.0.1.evil.example:PORT'])(
      'refuses the same call with Host %s (DNS rebinding)',
      async (hostTemplate) => {
        // Prepare
        const { request } = callOf(name);
        const { port } = new URL(endpoints[name] as string);
        const host = hostTemplate.replace('PORT', port);

        // Act
        const response = await rawHttpRequest(endpoints[name] as string, {
          ...request,
          headers: { ...request.headers, host },
        });

        // Assess
        expectRefused(response, `Host "${host}" is not this server`);
      },
    );
  },
);

describe('the SDK clients against the guarded endpoints', () => {
  it('list streams, tables, buckets and delivery streams as before', async () => {
    // Prepare
    const clients = createAwsClients(
      {
        kinesis: endpoints['kinesis behind the chaos proxy'] as string,
        dynamodb: endpoints.dynamodb as string,
        s3: endpoints.s3 as string,
      },
      REGION,
    );
    const firehoseClient = createFirehoseClient(endpoints.firehose as string, REGION);

    // Act
    const [streams, tables, buckets, deliveryStreams] = await Promise.all([
      clients.kinesis.send(new ListStreamsCommand({})),
      clients.dynamodb.send(new ListTablesCommand({})),
      clients.s3.send(new ListBucketsCommand({})),
      firehoseClient.send(new ListDeliveryStreamsCommand({})),
    ]);

    // Assess
    expect(streams.StreamNames).toEqual([]);
    expect(tables.TableNames).toEqual([]);
    expect(buckets.$metadata.httpStatusCode).toBe(200);
    expect(deliveryStreams.DeliveryStreamNames).toEqual([]);
  });
});

describe('local.allowHosts', () => {
  it('lets a listed name through on any port, and a name:port on that port only', async () => {
    // Prepare: the Firehose endpoint runs in this process, so a second one is cheap
    const guarded = await LocalFirehose.start({
      host: HOST,
      port: 0,
      region: REGION,
      s3,
      deliveryStreams: [],
      allowHosts: ['devbox.example', 'other.example:1'],
    });
    const { request, answer } = callOf('firehose');
    const send = (host: string) =>
      rawHttpRequest(guarded.endpoint, { ...request, headers: { ...request.headers, host } });

    try {
      // Act
      const listed = await send(`devbox.example:${guarded.port}`);
      const listedNoPort = await send('devbox.example');
      const otherPort = await send(`other.example:${guarded.port}`);

      // Assess
      expect(listed.status).toBe(200);
      expect(listed.body).toContain(answer);
      expect(listedNoPort.status).toBe(200);
      expectRefused(otherPort, 'is not this server');
    } finally {
      await guarded.stop();
    }
  });
});
