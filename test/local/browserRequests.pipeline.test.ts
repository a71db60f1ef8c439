import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/loadConfig.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/startLocalPipeline.js';
import { corsHeadersOf, type RawHttpResponse, rawHttpRequest } from './http/rawHttpRequest.js';

/** Whether the guard answered: a 403 of an emulator itself (kinesalite's to a bare GET) is not one. */
function refusedByGuard(response: RawHttpResponse): boolean {
  return (
    response.status === 421 || (response.status === 403 && response.body.startsWith('refused: '))
  );
}

/** Every fault rate 0: the proxies only forward, so each answer is the emulator's. */
const NO_FAULTS = {
  dynamodbThrottleRate: 0,
  dynamodbServerErrorRate: 0,
  kinesisThrottleRate: 0,
  kinesisEntryFailureRate: 0,
  handlerCrashRate: 0,
  handlerTimeoutRate: 0,
  duplicateDeliveryRate: 0,
};

describe('a local pipeline in chaos mode with local.allowHosts', () => {
  const config = loadConfig({
    local: { demoRate: 0, allowHosts: ['devbox.example'], chaos: NO_FAULTS },
  });
  let pipeline: LocalPipeline;
  /** Each server a browser could reach, by name. */
  let servers: [string, string][];

  beforeAll(async () => {
    // Act: the SDK clients provision every resource through the guarded ports
    pipeline = await startLocalPipeline({ config, ephemeralPorts: true, demoRate: 0, chaos: true });
    const { kinesis, dynamodb, s3, firehose } = pipeline.endpoints;
    servers = [
      ['kinesis (chaos proxy)', kinesis],
      ['dynamodb (chaos proxy)', dynamodb],
      ['s3', s3],
      ['firehose', firehose],
      ['app', pipeline.httpUrl],
    ];
  }, 120_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('refuses a foreign Host on every port: 403 on the AWS ports, 421 on the app', async () => {
    for (const [name, url] of servers) {
      // Act
      const response = await rawHttpRequest(url, {
        headers: { host: `evil.example:${new URL(url).port}` },
      });

      // Assess
      expect({ name, status: response.status, refused: refusedByGuard(response) }).toEqual({
        name,
        status: name === 'app' ? 421 : 403,
        refused: true,
      });
    }
  });

  it('refuses a page from another origin on every AWS port, preflight included', async () => {
    for (const [name, url] of servers.filter(([name]) => name !== 'app')) {
      // Act
      const preflight = await rawHttpRequest(url, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });

      // Assess
      expect({ name, refused: refusedByGuard(preflight), cors: corsHeadersOf(preflight) }).toEqual({
        name,
        refused: true,
        cors: [],
      });
    }
  });

  it('answers a Host listed in local.allowHosts on every port', async () => {
    for (const [name, url] of servers) {
      // Act
      const response = await rawHttpRequest(url, {
        headers: { host: `devbox.example:${new URL(url).port}` },
      });

      // Assess: whatever the server makes of a bare GET /, the guard let it through
      expect({ name, refused: refusedByGuard(response) }).toEqual({
        name,
        refused: false,
      });
    }
  });
});
