import type { PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { KINESIS_LIMITS } from '../../core/codec/limits.js';
import { unpackRecord } from '../../core/codec/ndjsonCodec.js';
import type { EventCatalog } from '../../core/events/catalog.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import {
  EventTooLargeError,
  InvalidEventError,
  ProducerClosedError,
  ProducerError,
  PutFailedError,
} from '../../producers/errors.js';
import type { KinesisProducer, KinesisProducerOptions } from '../../producers/KinesisProducer.js';
import { sampleEvent } from '../helpers/events.js';
import {
  awsError,
  type Responder,
  ScriptedKinesis,
  scriptedProducer,
  THROTTLED,
} from '../helpers/ScriptedKinesis.js';

/** The scripted client answers PutRecords only; shard routing has its own tests. */
function producerFor(
  kinesis: ScriptedKinesis,
  options: Partial<KinesisProducerOptions<EventCatalog>> = {},
): KinesisProducer<EventCatalog> {
  return scriptedProducer(kinesis, { shardAware: false, ...options });
}

function events(count: number): StreamfoldEvent[] {
  return Array.from({ length: count }, (_, i) =>
    sampleEvent('purchase', { data: { orderId: `order-${i}` } }),
  );
}

/** Tracks whether a promise has settled, without awaiting it. */
function settledFlag(promise: Promise<unknown>): { settled: boolean } {
  const flag = { settled: false };
  promise.then(
    () => {
      flag.settled = true;
    },
    () => {
      flag.settled = true;
    },
  );
  return flag;
}

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

describe('KinesisProducer', () => {
  describe('batching', () => {
    it('packs several events into one record as NDJSON when they fit the target', async () => {
      // Prepare
      const kinesis = new ScriptedKinesis();
      const producer = producerFor(kinesis);
      const sent = events(20);

      // Act
      const acks = await Promise.all(sent.map((event) => producer.put(event)));

      // Assess
      expect(kinesis.calls).toHaveLength(1);
      const records = kinesis.calls[0]?.Records ?? [];
      expect(records).toHaveLength(1);
      const lines = unpackRecord(records[0]?.Data as Uint8Array);
      expect(lines.map((line) => JSON.parse(line))).toEqual(sent);
      expect(Buffer.from(records[0]?.Data as Uint8Array).at(-1)).toBe(0x0a);
      expect(new Set(acks.map((ack) => ack.sequenceNumber))).toEqual(new Set(['1']));
      // Without a shard map the first event's id is the record's partition key.
      expect(records[0]?.PartitionKey).toBe(sent[0]?.id);
      expect(kinesis.calls[0]?.StreamName).toBe('test-stream');
    });

    it('keeps each record within recordTargetBytes when many events are put', async () => {
      // Prepare
      const kinesis = new ScriptedKinesis();
      const producer = producerFor(kinesis, { recordTargetBytes: 1_000 });
      const sent = events(100);

      // Act
      await Promise.all(sent.map((event) => producer.put(event)));

      // Assess
      const records = kinesis.calls.flatMap((call) => call.Records ?? []);
      expect(records.length).toBeGreaterThan(10);
      for (const record of records) expect(record.Data?.length).toBeLessThanOrEqual(1_000);
      expect(ScriptedKinesis.idsIn(records.map((r) => r.Data as Uint8Array))).toEqual(
        sent.map((e) => e.id),
      );
    });

    it('sends at most 500 records per call when more records are buffered', async () => {
      // Prepare: a target of 1 byte puts every event alone in its record
      const kinesis = new ScriptedKinesis();
      const producer = producerFor(kinesis, { recordTargetBytes: 1 });
      const sent = events(1_234);

      // Act
      await Promise.all(sent.map((event) => producer.put(event)));

      // Assess
      const sizes = kinesis.calls.map((call) => call.Records?.length ?? 0);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(KINESIS_LIMITS.maxRecordsPerPutRecords);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(1_234);
      expect(sizes.filter((size) => size === 500).length).toBe(2);
      expect(ScriptedKinesis.idsIn(kinesis.accepted)).toEqual(sent.map((e) => e.id));
    });

    it('keeps each call within 5 MiB of data and partition keys when events are large', async () => {
      // Prepare: ~300 KB events of a custom catalog, each alone in its record
      const kinesis = new ScriptedKinesis();
      const catalog = { blob: z.object({ text: z.string() }) };
      const producer = producerFor(kinesis, { catalog });
      const text = 'x'.repeat(300 * 1024);
      const sent = Array.from({ length: 40 }, (_, i) => ({
        ...sampleEvent('page_view'),
        id: `blob-${i}`,
        type: 'blob',
        data: { text },
      }));

      // Act
      await Promise.all(sent.map((event) => producer.put(event)));

      // Assess
      expect(kinesis.calls.length).toBeGreaterThanOrEqual(3);
      for (const call of kinesis.calls) {
        const bytes = (call.Records ?? []).reduce(
          (sum, r) => sum + (r.Data?.length ?? 0) + (r.PartitionKey?.length ?? 0),
          0,
        );
        expect(bytes).toBeLessThanOrEqual(KINESIS_LIMITS.maxBytesPerPutRecords);
      }
      expect(ScriptedKinesis.idsIn(kinesis.accepted)).toEqual(sent.map((e) => e.id));
    });
  });

  describe('partial failures', () => {
    it('re-sends only the refused records when some entries are throttled', async () => {
      // Prepare: the first call refuses every other record
      const kinesis = new ScriptedKinesis((records, call) =>
        call === 0 ? records.map((_, i) => (i % 2 === 1 ? THROTTLED : {})) : [],
      );
      const producer = producerFor(kinesis, { recordTargetBytes: 1 });
      const sent = events(10);

      // Act
      await Promise.all(sent.map((event) => producer.put(event)));

      // Assess
      expect(kinesis.calls).toHaveLength(2);
      const first = kinesis.calls[0]?.Records ?? [];
      const refused = first.filter((_, i) => i % 2 === 1).map((r) => r.Data);
      expect(kinesis.calls[1]?.Records?.map((r) => r.Data)).toEqual(refused);
      expect(producer.stats).toMatchObject({
        eventsAcknowledged: 10,
        recordsThrottled: 5,
        recordsRetried: 5,
        recordsSent: 15,
        eventsFailed: 0,
      });
    });

    it('acknowledges every event exactly once when random entries keep failing', async () => {
      // Prepare: a seeded generator refuses about 40% of entries in every call
      let seed = 42;
      const random = () => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      const kinesis = new ScriptedKinesis((records) =>
        records.map(() => (random() < 0.4 ? THROTTLED : {})),
      );
      const producer = producerFor(kinesis, { recordTargetBytes: 600, maxAttempts: 50 });
      const sent = events(300);

      // Act
      const acks = await Promise.all(sent.map((event) => producer.put(event)));

      // Assess
      const ids = ScriptedKinesis.idsIn(kinesis.accepted);
      expect([...ids].sort()).toEqual(sent.map((e) => e.id).sort());
      expect(acks).toHaveLength(300);
      expect(producer.stats.recordsThrottled).toBeGreaterThan(0);
      expect(producer.stats.eventsAcknowledged).toBe(300);
      expect(producer.bufferedEvents).toBe(0);
    });

    it('retries the whole call when the call fails with a retryable error', async () => {
      // Prepare
      const kinesis = new ScriptedKinesis((_, call) => {
        if (call === 0) throw awsError('ThrottlingException');
        return [];
      });
      const producer = producerFor(kinesis);
      const retries: [number, string][] = [];
      producer.on('retry', (count, reason) => retries.push([count, reason]));

      // Act
      const ack = await producer.put(sampleEvent('page_view'));

      // Assess
      expect(ack.sequenceNumber).toBe('1');
      expect(kinesis.calls).toHaveLength(2);
      expect(kinesis.calls[1]?.Records).toEqual(kinesis.calls[0]?.Records);
      expect(retries).toEqual([[1, 'ThrottlingException']]);
    });

    it('retries the whole call when the network connection resets', async () => {
      // Prepare
      const kinesis = new ScriptedKinesis((_, call) => {
        if (call === 0) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        return [];
      });
      const producer = producerFor(kinesis);

      // Act
      await producer.put(sampleEvent('page_view'));

      // Assess
      expect(kinesis.calls).toHaveLength(2);
    });

    it('rejects with PutFailedError without retrying when the call error is not retryable', async () => {
      // Prepare
      const cause = awsError('ResourceNotFoundException', 'Stream test-stream not found');
      const kinesis = new ScriptedKinesis(() => {
        throw cause;
      });
      const producer = producerFor(kinesis);

      // Act
      const result = producer.put(sampleEvent('purchase'));

      // Assess
      await expect(result).rejects.toBeInstanceOf(PutFailedError);
      const error = (await result.catch((e: unknown) => e)) as PutFailedError;
      expect(error).toMatchObject({ errorCode: 'ResourceNotFoundException', attempts: 1, cause });
      expect(error.message).toContain('Stream test-stream not found');
      expect(kinesis.calls).toHaveLength(1);
      expect(producer.stats.eventsFailed).toBe(1);
    });

    it.each([
      {
        name: 'entries are always throttled',
        respond: ((records) => records.map(() => THROTTLED)) as Responder,
        code: 'ProvisionedThroughputExceededException',
      },
      {
        name: 'calls always fail with a retryable error',
        respond: (() => {
          throw awsError('ServiceUnavailable');
        }) as Responder,
        code: 'ServiceUnavailable',
      },
    ])('rejects with PutFailedError after maxAttempts when $name', async ({ respond, code }) => {
      // Prepare
      const kinesis = new ScriptedKinesis(respond);
      const producer = producerFor(kinesis, { maxAttempts: 3 });

      // Act
      const error = await producer.put(sampleEvent('purchase')).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(PutFailedError);
      expect(error).toMatchObject({ errorCode: code, attempts: 3 });
      expect((error as Error).message).toContain('refused 3 times');
      expect(kinesis.calls).toHaveLength(3);
      expect(kinesis.accepted).toHaveLength(0);
      expect(producer.bufferedEvents).toBe(0);
    });
  });

  describe('put', () => {
    it('rejects with InvalidEventError naming the field and sends nothing when the event is invalid', async () => {
      // Prepare
      const kinesis = new ScriptedKinesis();
      const producer = producerFor(kinesis);
      const event = sampleEvent('purchase', { data: { amount: 'ten' as unknown as number } });

      // Act
      const error = await producer.put(event).catch((e: unknown) => e);
      await producer.flush();

      // Assess
      expect(error).toBeInstanceOf(InvalidEventError);
      expect((error as InvalidEventError).reason.field).toBe('data.amount');
      expect((error as Error).message).toContain('data.amount');
      expect((error as Error).message).toContain('"ten"');
      expect(kinesis.calls).toHaveLength(0);
      expect(producer.stats.eventsPut).toBe(0);
    });

    it('rejects an unpaired surrogate with unpaired_surrogate naming the field and sends nothing', async () => {
      // Prepare: UTF-8 cannot encode it, so the record would not carry the event as given
      const kinesis = new ScriptedKinesis();
      const producer = producerFor(kinesis);
      const event = sampleEvent('purchase', { source: 'shop\ud800' });

      // Act
      const error = await producer.put(event).catch((e: unknown) => e);
      await producer.flush();

      // Assess
      expect(error).toBeInstanceOf(InvalidEventError);
      expect((error as InvalidEventError).reason).toMatchObject({
        code: 'unpaired_surrogate',
        field: 'source',
      });
      expect(kinesis.calls).toHaveLength(0);
    });

    it('rejects a value DynamoDB could not store with unstorable_number when given the metrics', async () => {
      // Prepare: 5e-324 passes the catalog's min(0); the configuration's revenue metric sums it
      const kinesis = new ScriptedKinesis();
      const producer = producerFor(kinesis, {
        metrics: [{ on: 'purchase', value: 'data.amount' }],
      });
      const event = sampleEvent('purchase', { data: { amount: 5e-324 } });

      // Act
      const error = await producer.put(event).catch((e: unknown) => e);
      const unchecked = await producerFor(kinesis).put(sampleEvent('purchase'));
      await producer.flush();

      // Assess
      expect(error).toBeInstanceOf(InvalidEventError);
      expect((error as InvalidEventError).reason).toMatchObject({
        code: 'unstorable_number',
        field: 'data.amount',
      });
      expect((error as Error).message).toMatch(
        /^invalid event: data\.amount: 5e-324 is too small in magnitude for DynamoDB to store exactly/,
      );
      expect(producer.stats.eventsPut).toBe(0);
      expect(unchecked.shardId).toBeDefined();
    });

    it('rejects with EventTooLargeError and sends nothing when the event exceeds a record', async () => {
      // Prepare
      const kinesis = new ScriptedKinesis();
      const catalog = { blob: z.object({ text: z.string() }) };
      const producer = producerFor(kinesis, { catalog });
      const event = {
        ...sampleEvent('page_view'),
        type: 'blob',
        data: { text: 'x'.repeat(1_048_576) },
      };

      // Act
      const error = await producer.put(event).catch((e: unknown) => e);
      await producer.flush();

      // Assess
      expect(error).toBeInstanceOf(EventTooLargeError);
      expect(error).toMatchObject({ limitBytes: KINESIS_LIMITS.maxRecordBytes });
      expect((error as EventTooLargeError).bytes).toBeGreaterThan(1_048_576);
      expect(kinesis.calls).toHaveLength(0);
    });

    it('waits for room when maxBufferedEvents events are outstanding', async () => {
      // Prepare: calls block until released
      const gates: (() => void)[] = [];
      const kinesis = new ScriptedKinesis(
        () => new Promise<PutRecordsResultEntry[]>((resolve) => gates.push(() => resolve([]))),
      );
      const producer = producerFor(kinesis, { maxBufferedEvents: 2 });
      const [first, second, third] = events(3) as [
        StreamfoldEvent,
        StreamfoldEvent,
        StreamfoldEvent,
      ];

      // Act
      const earlier = [producer.put(first), producer.put(second)];
      const later = producer.put(third);
      const laterState = settledFlag(later);
      await tick(20);

      // Assess: the third event waits outside the buffer until the first call settles
      expect(kinesis.calls).toHaveLength(1);
      expect(
        ScriptedKinesis.idsIn(kinesis.calls[0]?.Records?.map((r) => r.Data as Uint8Array) ?? []),
      ).toEqual([first.id, second.id]);
      expect(producer.bufferedEvents).toBe(2);
      expect(laterState.settled).toBe(false);

      gates.shift()?.();
      await Promise.all(earlier);
      await tick(20);
      expect(kinesis.calls).toHaveLength(2);
      gates.shift()?.();
      await later;
      expect(ScriptedKinesis.idsIn(kinesis.accepted)).toEqual([first.id, second.id, third.id]);
    });

    it('throws ProducerClosedError when put is called after close', async () => {
      // Prepare
      const kinesis = new ScriptedKinesis();
      const producer = producerFor(kinesis);
      await producer.close();

      // Act
      const error = await producer.put(sampleEvent('page_view')).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ProducerClosedError);
      expect(error).toBeInstanceOf(ProducerError);
      expect(kinesis.calls).toHaveLength(0);
    });
  });

  describe('flush and close', () => {
    it('resolves flush only after every event put so far is acknowledged', async () => {
      // Prepare: each call answers after a short delay
      const kinesis = new ScriptedKinesis(async () => {
        await tick(10);
        return [];
      });
      const producer = producerFor(kinesis, { lingerMs: 10_000, recordTargetBytes: 500 });
      const flags = events(50).map((event) => settledFlag(producer.put(event)));

      // Act
      await producer.flush();

      // Assess
      expect(flags.every((flag) => flag.settled)).toBe(true);
      expect(producer.stats.eventsAcknowledged).toBe(50);
      expect(producer.bufferedEvents).toBe(0);
    });

    it('resolves flush at once when nothing is buffered', async () => {
      // Prepare
      const kinesis = new ScriptedKinesis();
      const producer = producerFor(kinesis);

      // Act
      await producer.flush();

      // Assess
      expect(kinesis.calls).toHaveLength(0);
    });

    it('sends buffered events without waiting for the linger time when closing', async () => {
      // Prepare
      const kinesis = new ScriptedKinesis();
      const producer = producerFor(kinesis, { lingerMs: 60_000 });
      const put = producer.put(sampleEvent('add_to_cart'));

      // Act
      await producer.close();

      // Assess
      await expect(put).resolves.toMatchObject({ shardId: 'shardId-000000000000' });
      expect(kinesis.calls).toHaveLength(1);
    });
  });

  describe('options', () => {
    it.each([
      { option: 'maxBufferedEvents', value: 0 },
      { option: 'maxAttempts', value: -1 },
      { option: 'recordTargetBytes', value: Number.NaN },
      { option: 'lingerMs', value: -5 },
    ])('throws a ProducerError naming $option when it is $value', ({ option, value }) => {
      expect(() => producerFor(new ScriptedKinesis(), { [option]: value })).toThrow(
        new RegExp(`${option} must be .*\\(given ${value}\\)`),
      );
    });
  });
});
