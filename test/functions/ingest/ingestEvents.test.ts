import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import { MAX_EVENT_NESTING_DEPTH } from '../../../core/events/validateEvent.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import { checkJsonContentType } from '../../../functions/ingest/checkJsonContentType.js';
import { ingestEvents, MAX_ENCODED_EVENT_BYTES } from '../../../functions/ingest/ingestEvents.js';
import type {
  EventSink,
  IngestDependencies,
  IngestResultBody,
  StreamUnavailableBody,
} from '../../../functions/ingest/types.js';
import { sampleEvent } from '../../helpers/events.js';

/** A sink that keeps what it was given, acknowledging at once. */
class MemorySink implements EventSink {
  public readonly events: StreamfoldEvent[] = [];
  public async put(event: StreamfoldEvent): Promise<void> {
    this.events.push(event);
  }
}

const LIMITS = { maxRequestBytes: 16 * 1024, maxEventsPerRequest: 10 };

function dependencies(sink: EventSink, overrides: Partial<IngestDependencies> = {}) {
  return {
    sink,
    catalog: webShopCatalog,
    limits: LIMITS,
    acknowledgeTimeoutMs: 2_000,
    timeWindow: { maxLatenessMs: 7 * 86_400_000, maxFutureSkewMs: 300_000 },
    ...overrides,
  };
}

function jsonRequest(value: unknown, contentType = 'application/json') {
  return { contentType, body: Buffer.from(JSON.stringify(value)) };
}

describe('ingestEvents', () => {
  it('accepts and puts every event when all are valid', async () => {
    // Prepare
    const sink = new MemorySink();
    const events = [sampleEvent('purchase'), sampleEvent('page_view'), sampleEvent('add_to_cart')];

    // Act
    const response = await ingestEvents(jsonRequest(events), dependencies(sink));

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ accepted: 3 });
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(sink.events).toEqual(events);
  });

  it('puts the valid events and reports each invalid one by index, id, code and field', async () => {
    // Prepare
    const sink = new MemorySink();
    const good = [sampleEvent('purchase'), sampleEvent('page_view')];
    const badAmount = {
      ...sampleEvent('purchase'),
      data: { ...sampleEvent('purchase').data, amount: 'lots' },
    };
    const unknownType = { ...sampleEvent('page_view'), type: 'refund' };
    const batch = [good[0], badAmount, 'not an event', good[1], unknownType];

    // Act
    const response = await ingestEvents(jsonRequest(batch), dependencies(sink));

    // Assess
    expect(response.status).toBe(400);
    const body = response.body as IngestResultBody;
    expect(body.accepted).toBe(2);
    expect(body.rejected).toBe(3);
    expect(body.errors).toEqual([
      {
        index: 1,
        id: badAmount.id,
        code: 'schema_violation',
        field: 'data.amount',
        message: expect.stringContaining('(given "lots")'),
      },
      { index: 2, code: 'not_an_object', message: expect.stringContaining('"not an event"') },
      {
        index: 4,
        id: unknownType.id,
        code: 'unknown_type',
        field: 'type',
        message: 'type: unknown event type "refund"',
      },
    ]);
    expect(sink.events).toEqual(good);
  });

  it('refuses an event whose time lies outside the accepted window', async () => {
    // Prepare
    const sink = new MemorySink();
    const now = Date.parse('2026-11-22T12:00:00Z');
    const stale = sampleEvent('page_view', { time: '2026-11-01T12:00:00Z' });

    // Act
    const response = await ingestEvents(
      jsonRequest([stale]),
      dependencies(sink, { now: () => now }),
    );

    // Assess
    expect(response.status).toBe(400);
    expect((response.body as IngestResultBody).errors).toEqual([
      expect.objectContaining({
        index: 0,
        id: stale.id,
        code: 'time_out_of_window',
        field: 'time',
      }),
    ]);
    expect(sink.events).toEqual([]);
  });

  it('drops fields the catalog does not declare before putting the event', async () => {
    // Prepare
    const sink = new MemorySink();
    const event = sampleEvent('purchase');

    // Act
    const response = await ingestEvents(
      jsonRequest([{ ...event, extra: 1, data: { ...event.data, secret: 'x' } }]),
      dependencies(sink),
    );

    // Assess
    expect(response.status).toBe(200);
    expect(sink.events).toEqual([event]);
  });

  it('refuses an event that would not fit one Kinesis record', async () => {
    // Prepare: a catalog without length limits, and a request limit large enough to carry 2 MiB
    const sink = new MemorySink();
    const catalog = { blob: z.object({ text: z.string() }) };
    const huge = {
      ...sampleEvent('page_view'),
      type: 'blob',
      data: { text: 'a'.repeat(2 * 1024 * 1024) },
    };
    const limits = { maxRequestBytes: 3 * 1024 * 1024, maxEventsPerRequest: 10 };

    // Act
    const response = await ingestEvents(
      jsonRequest([huge]),
      dependencies(sink, { catalog, limits }),
    );

    // Assess
    expect(response.status).toBe(400);
    expect((response.body as IngestResultBody).errors).toEqual([
      {
        index: 0,
        id: huge.id,
        code: 'event_too_large',
        message: expect.stringContaining(`at most ${MAX_ENCODED_EVENT_BYTES}`),
      },
    ]);
    expect(sink.events).toEqual([]);
  });

  it('answers 200 with nothing accepted when given an empty array', async () => {
    const sink = new MemorySink();

    const response = await ingestEvents(jsonRequest([]), dependencies(sink));

    expect(response).toMatchObject({ status: 200, body: { accepted: 0 } });
    expect(sink.events).toEqual([]);
  });

  describe.each([
    [
      'a body over maxRequestBytes',
      { contentType: 'application/json', body: Buffer.alloc(LIMITS.maxRequestBytes + 1, 0x20) },
      'request_too_large',
      `at most ${LIMITS.maxRequestBytes}`,
    ],
    [
      'a truncated body whose whole size is over the limit',
      { contentType: 'application/json', body: Buffer.from('[]'), bodyBytes: 20_000 },
      'request_too_large',
      'request body is 20000 bytes',
    ],
    [
      'more events than maxEventsPerRequest',
      jsonRequest(Array.from({ length: 11 }, () => sampleEvent('page_view'))),
      'too_many_events',
      'request holds 11 events; at most 10',
    ],
  ])('when given %s', (_name, request, error, message) => {
    it('answers 413 and puts nothing', async () => {
      const sink = new MemorySink();

      const response = await ingestEvents(request, dependencies(sink));

      expect(response.status).toBe(413);
      expect(response.body).toEqual({ error, message: expect.stringContaining(message) });
      expect(sink.events).toEqual([]);
    });
  });

  describe.each([
    ['malformed JSON', Buffer.from('[{"id": '), 'malformed_json', 'body is not UTF-8 JSON'],
    [
      'bytes that are not UTF-8',
      Buffer.from([0x5b, 0xff, 0x5d]),
      'malformed_json',
      'body is not UTF-8 JSON',
    ],
    [
      'an object instead of an array',
      Buffer.from('{"id":"x"}'),
      'not_an_array',
      'given {"id":"x"}',
    ],
  ])('when given %s', (_name, body, error, message) => {
    it('answers 400 naming the problem and puts nothing', async () => {
      const sink = new MemorySink();

      const response = await ingestEvents(
        { contentType: 'application/json', body },
        dependencies(sink),
      );

      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error, message: expect.stringContaining(message) });
      expect(sink.events).toEqual([]);
    });
  });

  it('answers 400 naming the nesting limit, not 500, for a deeply nested object body', async () => {
    // Prepare: 100,000 levels overflow the stack of any recursive walk, JSON.stringify's too.
    const sink = new MemorySink();
    const levels = 100_000;
    const body = Buffer.from(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`);
    const limits = { ...LIMITS, maxRequestBytes: body.byteLength };

    // Act
    const response = await ingestEvents(
      { contentType: 'application/json', body },
      dependencies(sink, { limits }),
    );

    // Assess
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'not_an_array',
      message: `body must be a JSON array of events (given an object nested deeper than ${MAX_EVENT_NESTING_DEPTH} levels, the most an event may nest)`,
    });
    expect(sink.events).toEqual([]);
  });

  it('refuses an event with an unpaired surrogate as unpaired_surrogate naming the field', async () => {
    // Prepare: JSON.parse reads the escape as a lone surrogate, in a value or a key.
    const sink = new MemorySink();
    const good = sampleEvent('page_view');
    const text = JSON.stringify([
      good,
      sampleEvent('page_view', { id: 'bad-value', source: 'SOURCE' }),
      { ...sampleEvent('page_view', { id: 'bad-key' }), KEY: 1 },
    ])
      .replace('SOURCE', 'web\\ud800')
      .replace('"KEY"', '"\\udc00"');

    // Act
    const response = await ingestEvents(
      { contentType: 'application/json', body: Buffer.from(text) },
      dependencies(sink),
    );

    // Assess
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      accepted: 1,
      rejected: 2,
      errors: [
        { index: 1, id: 'bad-value', code: 'unpaired_surrogate', field: 'source' },
        { index: 2, id: 'bad-key', code: 'unpaired_surrogate', field: '\\udc00' },
      ],
    });
    expect(sink.events).toEqual([good]);
  });

  it('answers 415 and puts nothing when the content type is not JSON', async () => {
    const sink = new MemorySink();

    const response = await ingestEvents(
      jsonRequest([sampleEvent('purchase')], 'text/plain'),
      dependencies(sink),
    );

    expect(response.status).toBe(415);
    expect(response.body).toEqual({
      error: 'unsupported_media_type',
      message: 'Content-Type must be application/json (given "text/plain")',
    });
    expect(sink.events).toEqual([]);
  });

  it('answers 503 with the ids of the events the sink refused, after the others landed', async () => {
    // Prepare: a fault the emulator cannot produce on demand for single events
    const refusedIds = new Set<string>();
    const landed: StreamfoldEvent[] = [];
    const events = Array.from({ length: 4 }, () => sampleEvent('page_view'));
    refusedIds.add(events[1]?.id as string).add(events[3]?.id as string);
    const sink: EventSink = {
      put: async (event) => {
        if (refusedIds.has(event.id)) throw new Error('ProvisionedThroughputExceededException');
        landed.push(event);
      },
    };
    const warnings: unknown[] = [];

    // Act
    const response = await ingestEvents(
      jsonRequest([...events, { id: 'bad' }]),
      dependencies(sink, {
        logger: { warn: (message, details) => warnings.push({ message, details }) },
      }),
    );

    // Assess
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    const body = response.body as StreamUnavailableBody;
    expect(body).toMatchObject({ error: 'stream_unavailable', accepted: 2, rejected: 1 });
    expect(body.unacknowledgedIds).toEqual([events[1]?.id, events[3]?.id]);
    expect(body.errors?.[0]).toMatchObject({ index: 4, id: 'bad' });
    expect(landed).toEqual([events[0], events[2]]);
    expect(warnings).toEqual([
      {
        message: 'events not acknowledged by the stream',
        details: expect.objectContaining({
          unacknowledged: 2,
          error: 'ProvisionedThroughputExceededException',
        }),
      },
    ]);
  });

  it('answers 503 with every id when the sink does not acknowledge within the timeout', async () => {
    // Prepare: a sink that never answers
    const sink: EventSink = { put: () => new Promise(() => undefined) };
    const events = [sampleEvent('purchase'), sampleEvent('page_view')];
    const started = Date.now();

    // Act
    const response = await ingestEvents(
      jsonRequest(events),
      dependencies(sink, { acknowledgeTimeoutMs: 100 }),
    );

    // Assess
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({
      accepted: 0,
      unacknowledgedIds: events.map((event) => event.id),
      message: expect.stringContaining('not acknowledged within 100 ms'),
    });
  });
});

describe('checkJsonContentType', () => {
  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON;charset="UTF-8"',
    'application/json; charset=utf8',
  ])('accepts %s', (header) => {
    expect(checkJsonContentType(header)).toBeUndefined();
  });

  it.each([
    [undefined, 'Content-Type must be application/json (given none)'],
    ['text/plain', 'Content-Type must be application/json (given "text/plain")'],
    [
      'application/x-ndjson',
      'Content-Type must be application/json (given "application/x-ndjson")',
    ],
    [
      'application/json; charset=iso-8859-1',
      'Content-Type charset must be utf-8 (given "application/json; charset=iso-8859-1")',
    ],
  ])('refuses %s naming the header', (header, message) => {
    expect(checkJsonContentType(header)).toBe(message);
  });
});
