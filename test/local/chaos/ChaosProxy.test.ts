import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChaosProxy, startChaosProxy } from '../../../local/chaos/ChaosProxy.js';
import { type RunningEmulators, startEmulators } from '../../../local/emulators/startEmulators.js';
import { streamBodyUntilAnswered } from '../streamBodyUntilAnswered.js';

const HOST = '127.0.0.1';

/** SigV4-shaped headers of a DynamoDB call: dynalite wants them present, and checks no signature. */
function dynamodbHeaders(target: string): Record<string, string> {
  const date = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  return {
    'x-amz-target': target,
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-date': date,
    authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${date.slice(0, 8)}/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`,
  };
}

describe('startChaosProxy', () => {
  describe('in front of dynalite', () => {
    let emulators: RunningEmulators;
    let proxy: ChaosProxy;

    beforeAll(async () => {
      emulators = await startEmulators({ host: HOST, ports: { dynamodb: 0 } });
      proxy = await startChaosProxy({
        host: HOST,
        port: 0,
        target: `http://${HOST}:${emulators.ports.dynamodb}`,
        decide: () => ({ kind: 'forward' }),
      });
    });

    afterAll(async () => {
      await proxy?.stop();
      await emulators?.stop();
    });

    it('forwards a chunked ListTables and answers 200 with a single framing', async () => {
      // Prepare: the body goes in two chunks, as an SDK streaming its body would send it
      const { port } = new URL(proxy.endpoint);

      // Act
      const answer = await new Promise<{ status: number; headers: object; body: string }>(
        (resolve, reject) => {
          const outgoing = request(
            {
              host: HOST,
              port,
              method: 'POST',
              path: '/',
              headers: {
                ...dynamodbHeaders('DynamoDB_20120810.ListTables'),
                'transfer-encoding': 'chunked',
              },
              agent: false,
            },
            (response) => {
              const chunks: Buffer[] = [];
              response.on('data', (chunk: Buffer) => chunks.push(chunk));
              response.on('end', () =>
                resolve({
                  status: response.statusCode ?? 0,
                  headers: response.headers,
                  body: Buffer.concat(chunks).toString('utf8'),
                }),
              );
            },
          );
          outgoing.on('error', reject);
          outgoing.write('{');
          outgoing.end('}');
        },
      );

      // Assess
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ TableNames: [] });
      expect(answer.headers).toHaveProperty('content-length');
      expect(answer.headers).not.toHaveProperty('transfer-encoding');
    });
  });

  describe('with a body over its limit', () => {
    // Kinesis PutRecords: "Each record in the request can be as large as 1 MiB, up to a limit of
    // 5 MiB for the entire request, including partition keys." DynamoDB BatchWriteItem: "A single
    // call to BatchWriteItem can transmit up to 16MB of data over the network" (AWS API
    // references). The proxy takes the limit it is given; 1 MiB keeps the test fast.
    const MAX_BYTES = 1_048_576;
    let forwarded = 0;
    const upstream = createServer((_req, res) => {
      forwarded += 1;
      res.end('{}');
    });
    let proxy: ChaosProxy;

    beforeAll(async () => {
      await new Promise<void>((resolve) => upstream.listen(0, HOST, resolve));
      proxy = await startChaosProxy({
        host: HOST,
        port: 0,
        target: `http://${HOST}:${(upstream.address() as AddressInfo).port}`,
        decide: () => ({ kind: 'forward' }),
        maxRequestBytes: MAX_BYTES,
      });
    });

    afterAll(async () => {
      await proxy?.stop();
      upstream.closeAllConnections();
      await new Promise((resolve) => upstream.close(resolve));
    });

    it('answers 413 as soon as a chunked body passes the limit, and forwards nothing', async () => {
      // Act: 64 MiB offered, 64 times the limit
      const answer = await streamBodyUntilAnswered(
        `${proxy.endpoint}/`,
        dynamodbHeaders('DynamoDB_20120810.BatchWriteItem'),
        64 * MAX_BYTES,
      );

      // Assess: answered while most of the body was still unsent, i.e. reading stopped
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toEqual({
        __type: 'com.amazon.coral.service#SerializationException',
        message: `request body over ${MAX_BYTES} bytes`,
      });
      expect(answer.headers.connection).toBe('close');
      expect(answer.sentWhenAnswered).toBeLessThan(16 * MAX_BYTES);
      expect(forwarded).toBe(0);
    });

    it('answers 413 before reading when Content-Length declares a body over the limit', async () => {
      // Act: the head alone
      const answer = await streamBodyUntilAnswered(
        `${proxy.endpoint}/`,
        {
          ...dynamodbHeaders('DynamoDB_20120810.BatchWriteItem'),
          'content-length': String(MAX_BYTES + 1),
        },
        0,
      );

      // Assess
      expect(answer.status).toBe(413);
      expect(answer.body).toContain(`request body over ${MAX_BYTES} bytes`);
      expect(forwarded).toBe(0);
    }, 5_000);
  });
});
