import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { webShopCatalog } from '../../examples/web-shop/catalog.js';
import { ingestDependenciesFor } from '../../functions/ingest/ingestDependenciesFor.js';
import type { IngestResultBody, StreamUnavailableBody } from '../../functions/ingest/types.js';
import { createIngestRoute } from '../../local/http/createIngestRoute.js';
import { HttpRouter } from '../../local/http/HttpRouter.js';
import { type RunningHttpServer, startHttpServer } from '../../local/http/startHttpServer.js';
import { type LocalPipeline, startLocalPipeline } from '../../local/startLocalPipeline.js';
import { KinesisProducer } from '../../producers/KinesisProducer.js';
import { sampleEvent } from '../helpers/events.js';
import { newEvents, readStreamEvents } from '../helpers/readStreamEvents.js';

// Small limits so oversize requests stay small; no demo, so the stream holds only what tests send.
const config: StreamfoldConfig = loadConfig({
  ingest: { maxRequestBytes: 4_096, maxEventsPerRequest: 5 },
  local: { demoRate: 0 },
});
let pipeline: LocalPipeline;
let eventsUrl: string;

function post(body: string, contentType = 'application/json', url = eventsUrl) {
  return fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
}

function streamEvents(): Promise<StreamfoldEvent[]> {
  return readStreamEvents(pipeline.clients.kinesis, config.stream.name);
}

beforeAll(async () => {
  pipeline = await startLocalPipeline({ config, ephemeralPorts: true });
  eventsUrl = `${pipeline.httpUrl}${config.ingest.path}`;
});

afterAll(async () => {
  await pipeline?.stop();
});

describe('POST /events on the local HTTP server, against kinesalite', () => {
  it('lands exactly the valid events of a mixed batch, once each, and reports the others', async () => {
    // Prepare
    const before = await streamEvents();
    const valid = [sampleEvent('purchase'), sampleEvent('page_view'), sampleEvent('add_to_cart')];
    const missingTime = { ...sampleEvent('page_view'), time: undefined };
    const badCountry = sampleEvent('purchase', { data: { country: 'Germany' } });

    // Act
    const response = await post(
      JSON.stringify([valid[0], missingTime, valid[1], badCountry, valid[2]]),
    );
    const body = (await response.json()) as IngestResultBody;
    const landed = newEvents(before, await streamEvents());

    // Assess
    expect(response.status).toBe(400);
    expect(body).toEqual({
      accepted: 3,
      rejected: 2,
      errors: [
        expect.objectContaining({
          index: 1,
          id: missingTime.id,
          code: 'schema_violation',
          field: 'time',
        }),
        expect.objectContaining({
          index: 3,
          id: badCountry.id,
          code: 'schema_violation',
          field: 'data.country',
          message: expect.stringContaining('"Germany"'),
        }),
      ],
    });
    const byId = (a: StreamfoldEvent, b: StreamfoldEvent) => a.id.localeCompare(b.id);
    expect(landed.sort(byId)).toEqual([...valid].sort(byId));
  });

  it('answers 200 and lands the batch when every event is valid', async () => {
    const before = await streamEvents();
    const valid = [sampleEvent('page_view'), sampleEvent('page_view')];

    const response = await post(JSON.stringify(valid), 'application/json; charset=utf-8');
    const landed = newEvents(before, await streamEvents());

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ accepted: 2 });
    expect(landed.map((event) => event.id).sort()).toEqual(valid.map((event) => event.id).sort());
  });

  describe.each([
    [
      'a body over maxRequestBytes',
      () =>
        JSON.stringify(
          Array.from({ length: 3 }, () =>
            sampleEvent('page_view', { data: { path: `/${'p'.repeat(1_500)}` } }),
          ),
        ),
      'request_too_large',
    ],
    [
      'more events than maxEventsPerRequest',
      () => JSON.stringify(Array.from({ length: 6 }, () => sampleEvent('page_view'))),
      'too_many_events',
    ],
  ])('when given %s', (_name, makeBody, error) => {
    it('answers 413 and lands nothing', async () => {
      const before = await streamEvents();

      const response = await post(makeBody());
      const after = await streamEvents();

      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({ error });
      expect(after).toHaveLength(before.length);
    });
  });

  it('answers 415 and lands nothing when the content type is not JSON', async () => {
    const before = await streamEvents();

    const response = await post(JSON.stringify([sampleEvent('purchase')]), 'text/plain');
    const after = await streamEvents();

    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({
      error: 'unsupported_media_type',
      message: 'Content-Type must be application/json (given "text/plain")',
    });
    expect(after).toHaveLength(before.length);
  });

  it('answers 400 and lands nothing when the body is malformed JSON', async () => {
    const before = await streamEvents();

    const response = await post('[{"id":"a",');
    const after = await streamEvents();

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'malformed_json' });
    expect(after).toHaveLength(before.length);
  });

  it('answers 404 for an unknown route and 405 with Allow for another method on /events', async () => {
    const unknown = await fetch(`${pipeline.httpUrl}/nope`, { method: 'POST' });
    const wrongMethod = await fetch(eventsUrl);

    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      error: 'not_found',
      message: 'no route for POST /nope',
    });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect(await wrongMethod.json()).toMatchObject({ error: 'method_not_allowed' });
  });

  it('answers GET /health with 200 and every part up', async () => {
    const response = await fetch(`${pipeline.httpUrl}/health`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      parts: { kinesis: 'up', dynamodb: 'up', s3: 'up' },
    });
  });
});

describe('POST /events when the stream refuses the puts', () => {
  let server: RunningHttpServer;

  beforeAll(async () => {
    // Prepare: a real refusal, PutRecords to a stream kinesalite does not have
    const producer = new KinesisProducer({
      catalog: webShopCatalog,
      client: pipeline.clients.kinesis,
      streamName: 'no-such-stream',
    });
    const router = new HttpRouter().add(
      'POST',
      config.ingest.path,
      createIngestRoute(ingestDependenciesFor(config, config.catalog, producer)),
    );
    server = await startHttpServer({ host: config.local.host, port: 0, router });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('answers 503 with the ids to re-send and lands nothing', async () => {
    // Prepare
    const before = await streamEvents();
    const valid = [sampleEvent('purchase'), sampleEvent('page_view')];

    // Act
    const response = await post(
      JSON.stringify([valid[0], { id: 'broken' }, valid[1]]),
      'application/json',
      `${server.url}${config.ingest.path}`,
    );
    const body = (await response.json()) as StreamUnavailableBody;
    const after = await streamEvents();

    // Assess
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(body).toMatchObject({ error: 'stream_unavailable', accepted: 0, rejected: 1 });
    expect(body.unacknowledgedIds).toEqual(valid.map((event) => event.id));
    expect(after).toHaveLength(before.length);
  });
});
