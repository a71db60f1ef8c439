import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config/loadConfig.js';
import { ingestDependenciesFor } from '../../../functions/ingest/ingestDependenciesFor.js';
import { createIngestRoute } from '../../../local/http/createIngestRoute.js';
import { HttpRouter } from '../../../local/http/HttpRouter.js';
import { InFlightBytes } from '../../../local/http/InFlightBytes.js';
import { type RunningHttpServer, startHttpServer } from '../../../local/http/startHttpServer.js';
import { sampleEvent } from '../../helpers/events.js';
import { gate, uploadBody } from '../../helpers/uploadBody.js';

const config = loadConfig({ ingest: { maxRequestBytes: 64 * 1024 } });
const JSON_HEADERS = { 'content-type': 'application/json' };
const PATH = '/events';

let server: RunningHttpServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** The ingest route on its own server; the sink takes every event at once. */
async function ingestServer(inFlight?: InFlightBytes): Promise<RunningHttpServer> {
  const put: unknown[] = [];
  const dependencies = ingestDependenciesFor(config, config.catalog, {
    put: async (event) => put.push(event),
  });
  const router = new HttpRouter().add(
    'POST',
    '/events',
    createIngestRoute(dependencies, inFlight ? { inFlight } : {}),
  );
  server = await startHttpServer({ host: '127.0.0.1', port: 0, router });
  return server;
}

describe('the local ingest route reading bodies', () => {
  it('answers request_too_large as soon as a chunked body passes ingest.maxRequestBytes', async () => {
    const { port } = await ingestServer();

    const answer = await uploadBody(port, 80 * 1024 * 1024, { headers: JSON_HEADERS, path: PATH });

    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe('close');
    expect(JSON.parse(answer.text)).toMatchObject({
      error: 'request_too_large',
      message: expect.stringContaining('(ingest.maxRequestBytes)'),
    });
    expect(answer.written).toBeLessThan(24 * 1024 * 1024);
  });

  it('answers server_busy with Retry-After while its bytes in flight are taken', async () => {
    // Prepare: a 64 KiB budget, 48 KiB held by a request whose body is not all sent
    // (bytes are held as they arrive, so the holder has to send them)
    const inFlight = new InFlightBytes(64 * 1024);
    const { port } = await ingestServer(inFlight);
    const { opened: held, open: release } = gate();
    const holder = uploadBody(port, 64 * 1024, {
      declare: true,
      holdAfter: 48 * 1024,
      release: held,
      headers: JSON_HEADERS,
      path: PATH,
    });
    await expect.poll(() => inFlight.heldBytes).toBe(48 * 1024);

    // Act
    const busy = await uploadBody(port, 32 * 1024, {
      declare: true,
      headers: JSON_HEADERS,
      path: PATH,
    });
    release();
    await holder;
    const body = JSON.stringify([sampleEvent('page_view')]);
    const after = await fetch(`http://127.0.0.1:${port}/events`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body,
    });

    // Assess
    expect(busy).toMatchObject({ status: 503, retryAfter: '1' });
    expect(JSON.parse(busy.text)).toMatchObject({ error: 'server_busy' });
    expect(after.status).toBe(200);
    await expect.poll(() => inFlight.heldBytes).toBe(0);
  });

  it('refuses an in-flight budget smaller than one body of ingest.maxRequestBytes', () => {
    const dependencies = ingestDependenciesFor(config, config.catalog, { put: async () => 0 });

    expect(() => createIngestRoute(dependencies, { inFlight: new InFlightBytes(1_024) })).toThrow(
      'maxInFlightBytes must be at least ingest.maxRequestBytes, 65536 (given 1024)',
    );
  });
});
