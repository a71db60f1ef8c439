import {
  type FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchCommandInput,
  type PutRecordBatchCommandOutput,
  type PutRecordBatchResponseEntry,
} from '@aws-sdk/client-firehose';
import { describe, expect, it } from 'vitest';
import { FIREHOSE_LIMITS } from '../../core/codec/limits.js';
import { unpackRecord } from '../../core/codec/ndjsonCodec.js';
import type { EventCatalog } from '../../core/events/catalog.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { webShopCatalog } from '../../examples/web-shop/catalog.js';
import {
  EventTooLargeError,
  InvalidEventError,
  ProducerClosedError,
  ProducerError,
  PutFailedError,
  RecordExpiredError,
} from '../../producers/errors.js';
import {
  FirehoseProducer,
  type FirehoseProducerOptions,
} from '../../producers/FirehoseProducer.js';
import { sampleEvent } from '../helpers/events.js';
import { blobCatalog, eventOfLineLength } from '../helpers/firehose.js';

type Entry = NonNullable<PutRecordBatchCommandInput['Records']>[number];
type Responder = (
  records: readonly Entry[],
  call: number,
) =>
  | (PutRecordBatchResponseEntry | undefined)[]
  | Promise<(PutRecordBatchResponseEntry | undefined)[]>;

/**
 * Stands in for a FirehoseClient: records every PutRecordBatch input, answers
 * with scripted per-entry results (or throws, or waits), and remembers the
 * data of every entry it accepted.
 */
class ScriptedFirehose {
  public readonly calls: PutRecordBatchCommandInput[] = [];
  public readonly accepted: Buffer[] = [];
  #nextId = 0;

  public constructor(private readonly respond: Responder = () => []) {}

  public async send(command: unknown): Promise<Partial<PutRecordBatchCommandOutput>> {
    if (!(command instanceof PutRecordBatchCommand)) throw new Error('unexpected command');
    const records = command.input.Records ?? [];
    const call = this.calls.push(command.input) - 1;
    const scripted = await this.respond(records, call);
    const results = records.map((record, i) => {
      const result = scripted[i];
      if (result?.ErrorCode) return result;
      this.accepted.push(Buffer.from(record.Data as Uint8Array));
      return { RecordId: `record-${++this.#nextId}` };
    });
    return {
      FailedPutCount: results.filter((r) => 'ErrorCode' in r).length,
      Encrypted: false,
      RequestResponses: results,
    };
  }

  public get client(): FirehoseClient {
    return this as unknown as FirehoseClient;
  }

  /** Data of every entry of call `call`. */
  public dataOf(call: number): Buffer[] {
    return (this.calls[call]?.Records ?? []).map((r) => Buffer.from(r.Data as Uint8Array));
  }

  /** Event ids carried by the given record data, decoded from NDJSON. */
  public static idsIn(data: readonly Uint8Array[]): string[] {
    return data.flatMap((d) =>
      unpackRecord(d).map((line) => (JSON.parse(line) as StreamfoldEvent).id),
    );
  }
}

/** Holds calls until opened. */
class Gate {
  #open = false;
  readonly #waiters: (() => void)[] = [];

  public wait(): Promise<void> {
    return this.#open ? Promise.resolve() : new Promise((resolve) => this.#waiters.push(resolve));
  }

  public open(): void {
    this.#open = true;
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

function awsError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

function producerFor(
  firehose: ScriptedFirehose,
  options: Partial<FirehoseProducerOptions<EventCatalog>> = {},
) {
  return new FirehoseProducer<EventCatalog>({
    catalog: webShopCatalog,
    client: firehose.client,
    deliveryStreamName: 'test-direct',
    lingerMs: 0,
    baseBackoffMs: 1,
    maxBackoffMs: 2,
    ...options,
  });
}

function events(count: number): StreamfoldEvent[] {
  return Array.from({ length: count }, (_, i) =>
    sampleEvent('purchase', { data: { orderId: `order-${i}` } }),
  );
}

/** Tracks whether a promise has settled, without awaiting it. */
function settledFlag(promise: Promise<unknown>): { settled: boolean } {
  const flag = { settled: false };
  const mark = () => {
    flag.settled = true;
  };
  promise.then(mark, mark);
  return flag;
}

/** The rejection of a promise expected to reject. */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

describe('FirehoseProducer', () => {
  describe('batching', () => {
    it('packs several events into one record as NDJSON, every line ending with a newline', async () => {
      // Prepare
      const firehose = new ScriptedFirehose();
      const producer = producerFor(firehose);
      const sent = events(20);

      // Act
      const acks = await Promise.all(sent.map((event) => producer.put(event)));

      // Assess
      expect(firehose.calls).toHaveLength(1);
      expect(firehose.calls[0]?.DeliveryStreamName).toBe('test-direct');
      const [data] = firehose.dataOf(0);
      expect(firehose.dataOf(0)).toHaveLength(1);
      expect(unpackRecord(data as Buffer).map((line) => JSON.parse(line))).toEqual(sent);
      expect(data?.at(-1)).toBe(0x0a);
      expect(new Set(acks.map((ack) => ack.recordId))).toEqual(new Set(['record-1']));
    });

    it('keeps every record within recordTargetBytes, with the events in put order', async () => {
      // Prepare
      const firehose = new ScriptedFirehose();
      const producer = producerFor(firehose, { recordTargetBytes: 1_000 });
      const sent = events(100);

      // Act
      await Promise.all(sent.map((event) => producer.put(event)));

      // Assess
      const data = firehose.calls.flatMap((_, i) => firehose.dataOf(i));
      expect(data.length).toBeGreaterThan(10);
      for (const record of data) expect(record.length).toBeLessThanOrEqual(1_000);
      expect(ScriptedFirehose.idsIn(data)).toEqual(sent.map((e) => e.id));
    });

    it('resolves each put() with the id of the record that carried its event', async () => {
      // Prepare
      const firehose = new ScriptedFirehose();
      const producer = producerFor(firehose, { recordTargetBytes: 1 });
      const sent = events(3);

      // Act
      const acks = await Promise.all(sent.map((event) => producer.put(event)));

      // Assess
      const data = firehose.dataOf(0);
      acks.forEach((ack, i) => {
        const index = Number(ack.recordId.replace('record-', '')) - 1;
        expect(ScriptedFirehose.idsIn([data[index] as Buffer])).toEqual([sent[i]?.id]);
      });
    });

    it('sends 1,201 single-event records as calls of 500, 500 and 201', async () => {
      // Prepare: a 1-byte target puts every event in its own record.
      const firehose = new ScriptedFirehose();
      const producer = producerFor(firehose, { recordTargetBytes: 1, lingerMs: 20 });
      const sent = events(1_201);

      // Act
      await Promise.all(sent.map((event) => producer.put(event)));

      // Assess
      expect(firehose.calls.map((call) => call.Records?.length)).toEqual([500, 500, 201]);
      expect(ScriptedFirehose.idsIn(firehose.accepted).sort()).toEqual(
        sent.map((e) => e.id).sort(),
      );
    });

    it.each([
      // 8 x 524,288 = 4,194,304: exactly 4 MiB fits one call.
      { lineBytes: 524_288, perCall: [8, 1], firstCallBytes: 4_194_304 },
      // One byte more per record: the eighth would pass 4 MiB, so it starts the next call.
      { lineBytes: 524_289, perCall: [7, 2], firstCallBytes: 7 * 524_289 },
    ])(
      'fills a call with records of $lineBytes bytes up to 4 MiB and no further',
      async ({ lineBytes, perCall, firstCallBytes }) => {
        // Prepare
        const firehose = new ScriptedFirehose();
        const producer = producerFor(firehose, {
          catalog: blobCatalog,
          recordTargetBytes: lineBytes,
          lingerMs: 20,
        });
        const sent = Array.from({ length: 9 }, (_, i) => eventOfLineLength(lineBytes, `big-${i}`));

        // Act
        await Promise.all(sent.map((event) => producer.put(event)));

        // Assess
        expect(firehose.calls.map((call) => call.Records?.length)).toEqual(perCall);
        const bytes = firehose.dataOf(0).reduce((sum, d) => sum + d.length, 0);
        expect(bytes).toBe(firstCallBytes);
        expect(bytes).toBeLessThanOrEqual(FIREHOSE_LIMITS.maxBytesPerPutRecordBatch);
      },
    );

    it('sends an event of exactly 1,024,000 bytes alone in its record', async () => {
      // Prepare
      const firehose = new ScriptedFirehose();
      const producer = producerFor(firehose, { catalog: blobCatalog });
      const largest = eventOfLineLength(FIREHOSE_LIMITS.maxRecordBytes, 'largest');
      const small = eventOfLineLength(200, 'small');

      // Act
      await Promise.all([producer.put(largest), producer.put(small)]);

      // Assess
      const data = firehose.dataOf(0);
      expect(data.map((d) => d.length)).toEqual([1_024_000, 200]);
      expect(ScriptedFirehose.idsIn(data)).toEqual(['largest', 'small']);
    });

    it('rejects an event one byte over 1,024,000 with EventTooLargeError and sends nothing', async () => {
      // Prepare
      const firehose = new ScriptedFirehose();
      const producer = producerFor(firehose, { catalog: blobCatalog });

      // Act
      const error = await rejectionOf(producer.put(eventOfLineLength(1_024_001, 'too-big')));
      await producer.close();

      // Assess
      expect(error).toBeInstanceOf(EventTooLargeError);
      expect(error.message).toBe(
        'event is 1024001 bytes encoded; a Firehose record holds at most 1024000 bytes',
      );
      expect(firehose.calls).toHaveLength(0);
    });
  });

  describe('retries', () => {
    it('re-sends only the entries marked failed, never the accepted ones', async () => {
      // Prepare: entries 1 and 3 of the first call fail.
      const firehose = new ScriptedFirehose((_, call) =>
        call === 0
          ? [
              undefined,
              { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' },
              undefined,
              { ErrorCode: 'InternalFailure', ErrorMessage: 'internal' },
              undefined,
            ]
          : [],
      );
      const producer = producerFor(firehose, { recordTargetBytes: 1 });
      const retries: [number, string][] = [];
      producer.on('retry', (records, reason) => retries.push([records, reason]));
      const sent = events(5);

      // Act
      await Promise.all(sent.map((event) => producer.put(event)));

      // Assess
      const first = firehose.dataOf(0);
      expect(firehose.dataOf(1)).toEqual([first[1], first[3]]);
      expect(ScriptedFirehose.idsIn(firehose.accepted).sort()).toEqual(
        sent.map((e) => e.id).sort(),
      );
      expect(retries).toEqual([[2, 'ServiceUnavailableException']]);
      expect(producer.stats).toMatchObject({
        recordsSent: 7,
        recordsRetried: 2,
        eventsAcknowledged: 5,
      });
    });

    it('retries a whole call that failed with ServiceUnavailableException', async () => {
      // Prepare
      const firehose = new ScriptedFirehose((_, call) => {
        if (call === 0) throw awsError('ServiceUnavailableException', 'Slow down.');
        return [];
      });
      const producer = producerFor(firehose);

      // Act
      const ack = await producer.put(events(1)[0] as StreamfoldEvent);

      // Assess
      expect(ack.recordId).toBe('record-1');
      expect(firehose.calls).toHaveLength(2);
      expect(firehose.dataOf(1)).toEqual(firehose.dataOf(0));
    });

    it.each(['InvalidArgumentException', 'ResourceNotFoundException', 'ValidationException'])(
      'rejects at once, without retrying, when the call fails with %s',
      async (name) => {
        // Prepare
        const firehose = new ScriptedFirehose(() => {
          throw awsError(name, `refused: ${name}`);
        });
        const producer = producerFor(firehose);

        // Act
        const error = await rejectionOf(producer.put(events(1)[0] as StreamfoldEvent));

        // Assess
        expect(error).toBeInstanceOf(PutFailedError);
        expect(error).toMatchObject({ errorCode: name, attempts: 1 });
        expect(error.message).toBe(`PutRecordBatch failed: refused: ${name}`);
        expect(firehose.calls).toHaveLength(1);
      },
    );

    it('rejects with PutFailedError after maxAttempts when an entry keeps failing', async () => {
      // Prepare
      const firehose = new ScriptedFirehose((records) =>
        records.map(() => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'internal' })),
      );
      const producer = producerFor(firehose, { maxAttempts: 3 });

      // Act
      const error = await rejectionOf(producer.put(events(1)[0] as StreamfoldEvent));

      // Assess
      expect(error).toBeInstanceOf(PutFailedError);
      expect(error).toMatchObject({ errorCode: 'InternalFailure', attempts: 3 });
      expect(error.message).toBe('record refused 3 times, last with InternalFailure: internal');
      expect(firehose.calls).toHaveLength(3);
      expect(firehose.accepted).toHaveLength(0);
    });
  });

  describe('record TTL', () => {
    it('rejects an event still refused when its TTL passes, and stops sending it', async () => {
      // Prepare
      const firehose = new ScriptedFirehose((records) =>
        records.map(() => ({
          ErrorCode: 'ServiceUnavailableException',
          ErrorMessage: 'Slow down.',
        })),
      );
      const producer = producerFor(firehose, {
        recordTtlMs: 80,
        maxAttempts: 1_000,
        baseBackoffMs: 10,
        maxBackoffMs: 20,
      });
      const started = performance.now();

      // Act
      const error = await rejectionOf(producer.put(events(1)[0] as StreamfoldEvent));
      const elapsed = performance.now() - started;
      const callsAtExpiry = firehose.calls.length;
      await tick(100);

      // Assess
      expect(error).toBeInstanceOf(RecordExpiredError);
      expect(error).toMatchObject({ ttlMs: 80, maybeDelivered: false });
      expect(error.message).toMatch(
        /^event not acknowledged within recordTtlMs=80 ms; its record was refused \d+ times/,
      );
      expect(elapsed).toBeGreaterThanOrEqual(79);
      expect(elapsed).toBeLessThan(2_000);
      expect(callsAtExpiry).toBeGreaterThan(1);
      // At most the retry already scheduled at expiry goes out; the expired event is dropped from it.
      expect(firehose.calls.length).toBeLessThanOrEqual(callsAtExpiry);
      expect(producer.stats).toMatchObject({
        eventsExpired: 1,
        eventsFailed: 1,
        eventsAcknowledged: 0,
      });
    });

    it('rejects an event whose call is in flight at its TTL, saying it may still be delivered', async () => {
      // Prepare
      const gate = new Gate();
      const firehose = new ScriptedFirehose(async () => {
        await gate.wait();
        return [];
      });
      const producer = producerFor(firehose, { recordTtlMs: 50 });

      // Act
      const error = await rejectionOf(producer.put(events(1)[0] as StreamfoldEvent));
      gate.open();
      await tick(20);

      // Assess
      expect(error).toBeInstanceOf(RecordExpiredError);
      expect(error).toMatchObject({ maybeDelivered: true, attempts: 1 });
      expect(error.message).toContain('it may still have been delivered');
      expect(firehose.accepted).toHaveLength(1);
      expect(producer.stats).toMatchObject({
        eventsExpired: 1,
        eventsAcknowledged: 0,
        eventsDeliveredAfterExpiry: 1,
      });
    });

    it('never sends an event that expired while waiting behind the in-flight limit', async () => {
      // Prepare: one call at a time, and the first one hangs.
      const gate = new Gate();
      const firehose = new ScriptedFirehose(async () => {
        await gate.wait();
        return [];
      });
      const producer = producerFor(firehose, { recordTtlMs: 60, maxInFlightRequests: 1 });
      const [first, second] = events(2) as [StreamfoldEvent, StreamfoldEvent];
      // The first expires in flight; its rejection is awaited below.
      const firstPut = rejectionOf(producer.put(first));
      await tick();
      const secondPut = producer.put(second);

      // Act
      const secondError = await rejectionOf(secondPut);
      gate.open();
      await firstPut;
      await producer.flush();

      // Assess
      expect(secondError).toBeInstanceOf(RecordExpiredError);
      expect(secondError.message).toContain('it was never sent');
      expect(firehose.calls).toHaveLength(1);
      expect(ScriptedFirehose.idsIn(firehose.accepted)).toEqual([first.id]);
    });
  });

  describe('backpressure', () => {
    it('makes put() wait for room when maxBufferedEvents are outstanding, first come first served', async () => {
      // Prepare
      const gate = new Gate();
      const firehose = new ScriptedFirehose(async () => {
        await gate.wait();
        return [];
      });
      const producer = producerFor(firehose, { maxBufferedEvents: 5, recordTargetBytes: 1 });
      const sent = events(12);

      // Act
      const puts = sent.map((event) => producer.put(event));
      await tick(20);
      const bufferedWhileBlocked = producer.bufferedEvents;
      const acceptedWhileBlocked = producer.stats.eventsPut;
      const lastPut = settledFlag(puts[11] as Promise<unknown>);
      gate.open();
      await Promise.all(puts);

      // Assess
      expect(bufferedWhileBlocked).toBe(5);
      expect(acceptedWhileBlocked).toBe(5);
      expect(lastPut.settled).toBe(true);
      const sentOrder = firehose.calls.flatMap((_, i) =>
        ScriptedFirehose.idsIn(firehose.dataOf(i)),
      );
      expect(sentOrder).toEqual(sent.map((e) => e.id));
    });

    it('gives the room of an event that expired to the next waiting put', async () => {
      // Prepare: one slot, held by an event whose call hangs past its TTL.
      const gate = new Gate();
      const firehose = new ScriptedFirehose(async () => {
        await gate.wait();
        return [];
      });
      const producer = producerFor(firehose, { maxBufferedEvents: 1, recordTtlMs: 40 });
      const [first, second] = events(2) as [StreamfoldEvent, StreamfoldEvent];
      const firstPut = rejectionOf(producer.put(first));
      await tick(25);
      const secondPut = producer.put(second);
      const acceptedBeforeExpiry = producer.stats.eventsPut;

      // Act
      const firstError = await firstPut;
      gate.open();
      const ack = await secondPut;
      await producer.close();

      // Assess
      expect(acceptedBeforeExpiry).toBe(1);
      expect(firstError).toBeInstanceOf(RecordExpiredError);
      expect(ack.recordId).toMatch(/^record-\d+$/);
      expect(ScriptedFirehose.idsIn(firehose.accepted).sort()).toEqual(
        [first.id, second.id].sort(),
      );
      expect(producer.stats).toMatchObject({
        eventsPut: 2,
        eventsExpired: 1,
        eventsAcknowledged: 1,
      });
    });
  });

  describe('flush and close', () => {
    it('flush() sends a partly filled call at once and resolves when it is acknowledged', async () => {
      // Prepare
      const firehose = new ScriptedFirehose();
      const producer = producerFor(firehose, { lingerMs: 60_000 });
      const put = producer.put(events(1)[0] as StreamfoldEvent);

      // Act
      await producer.flush();

      // Assess
      expect(firehose.calls).toHaveLength(1);
      await expect(put).resolves.toEqual({ recordId: 'record-1' });
      expect(producer.bufferedEvents).toBe(0);
    });

    it('close() waits for calls in flight and refuses new and waiting puts', async () => {
      // Prepare
      const gate = new Gate();
      const firehose = new ScriptedFirehose(async () => {
        await gate.wait();
        return [];
      });
      const producer = producerFor(firehose, { maxBufferedEvents: 10, recordTargetBytes: 1 });
      const sent = events(11);
      const accepted = sent.slice(0, 10).map((event) => producer.put(event));
      const waiting = rejectionOf(producer.put(sent[10] as StreamfoldEvent));
      await tick(20);

      // Act
      const closing = producer.close();
      const closed = settledFlag(closing);
      const afterClose = rejectionOf(producer.put(events(1)[0] as StreamfoldEvent));
      await tick(20);
      const closedWhileInFlight = closed.settled;
      gate.open();
      await closing;

      // Assess
      expect(closedWhileInFlight).toBe(false);
      expect(await afterClose).toBeInstanceOf(ProducerClosedError);
      expect(await waiting).toBeInstanceOf(ProducerClosedError);
      const acks = await Promise.all(accepted);
      expect(acks).toHaveLength(10);
      expect(ScriptedFirehose.idsIn(firehose.accepted).sort()).toEqual(
        sent
          .slice(0, 10)
          .map((e) => e.id)
          .sort(),
      );
    });
  });

  describe('validation', () => {
    it('rejects an invalid event with InvalidEventError naming the field, and never sends it', async () => {
      // Prepare
      const firehose = new ScriptedFirehose();
      const producer = producerFor(firehose);
      const event = sampleEvent('purchase', { data: { amount: -5 } });

      // Act
      const error = await rejectionOf(producer.put(event));
      await producer.close();

      // Assess
      expect(error).toBeInstanceOf(InvalidEventError);
      expect(error.message).toMatch(/^invalid event: data\.amount: .*\(given -5\)$/);
      expect(firehose.calls).toHaveLength(0);
      expect(producer.stats.eventsPut).toBe(0);
    });

    it.each([
      {
        options: { recordTargetBytes: 1_024_001 },
        message:
          'recordTargetBytes must be at most 1024000, the largest Firehose record (given 1024001)',
      },
      { options: { maxAttempts: 0 }, message: 'maxAttempts must be a positive number (given 0)' },
      { options: { recordTtlMs: -1 }, message: 'recordTtlMs must be a positive number (given -1)' },
      {
        options: { deliveryStreamName: '' },
        message: 'deliveryStreamName must be a delivery stream name (given "")',
      },
    ])('refuses options $options naming the option and the value', ({ options, message }) => {
      // Act
      const create = () => producerFor(new ScriptedFirehose(), options);

      // Assess
      expect(create).toThrow(ProducerError);
      expect(create).toThrow(message);
    });
  });

  describe('stats', () => {
    it('counts events, records, calls, bytes, billed bytes and acknowledgement latency', async () => {
      // Prepare
      const firehose = new ScriptedFirehose();
      const producer = producerFor(firehose, { recordTargetBytes: 6_000 });
      const acknowledged: number[] = [];
      producer.on('acknowledged', (count) => acknowledged.push(count));
      const sent = events(100);

      // Act
      await Promise.all(sent.map((event) => producer.put(event)));
      const stats = producer.stats;

      // Assess
      const sentBytes = firehose.accepted.reduce((sum, d) => sum + d.length, 0);
      const billed = firehose.accepted.reduce(
        (sum, d) => sum + Math.ceil(d.length / 5_000) * 5_000,
        0,
      );
      expect(stats).toMatchObject({
        eventsPut: 100,
        eventsAcknowledged: 100,
        eventsFailed: 0,
        recordsSent: firehose.accepted.length,
        recordsAcknowledged: firehose.accepted.length,
        putRecordBatchCalls: firehose.calls.length,
        bytesSent: sentBytes,
        bytesBilled: billed,
      });
      expect(acknowledged.reduce((a, b) => a + b, 0)).toBe(100);
      expect(stats.ackLatencyMs.count).toBe(100);
      expect(stats.ackLatencyMs.p50).toBeLessThanOrEqual(stats.ackLatencyMs.p99);
      expect(stats.ackLatencyMs.p99).toBeLessThanOrEqual(stats.ackLatencyMs.max);
      expect(stats.ackLatencyMs.max).toBeGreaterThan(0);
    });
  });
});
