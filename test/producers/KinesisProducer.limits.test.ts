import { afterEach, describe, expect, it, vi } from 'vitest';
import { RecordExpiredError } from '../../producers/errors.js';
import type { ProducerStatsSnapshot } from '../../producers/KinesisProducer.js';
import { sampleEvent } from '../helpers/events.js';
import { awsError, ScriptedKinesis, scriptedProducer } from '../helpers/ScriptedKinesis.js';

/** One open shard owning the whole hash-key range. */
const ONE_SHARD = [
  {
    ShardId: 'shardId-000000000000',
    HashKeyRange: { StartingHashKey: '0', EndingHashKey: (2n ** 128n - 1n).toString() },
    SequenceNumberRange: { StartingSequenceNumber: '1' },
  },
];

/** A responder whose calls wait until `release()`. */
function gated() {
  const waiting: (() => void)[] = [];
  let open = false;
  return {
    respond: async () => {
      if (!open) await new Promise<void>((resolve) => waiting.push(resolve));
      return [];
    },
    release: () => {
      open = true;
      for (const wake of waiting.splice(0)) wake();
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('KinesisProducer limits', () => {
  it('keeps a shard within its records-per-second budget when events arrive faster', async () => {
    // Prepare: 400 one-event records against a budget of 200 records/s
    const kinesis = new ScriptedKinesis(undefined, ONE_SHARD);
    const producer = scriptedProducer(kinesis, {
      packing: 'none',
      rateLimit: { recordsPerSecond: 200, bytesPerSecond: 1024 * 1024 },
    });
    const started = performance.now();

    // Act
    await Promise.all(Array.from({ length: 400 }, () => producer.put(sampleEvent('page_view'))));

    // Assess: a full bucket (200) goes at once, the other 200 need a second of refill
    const elapsed = performance.now() - started;
    expect(kinesis.accepted).toHaveLength(400);
    expect(elapsed).toBeGreaterThanOrEqual(950);
    const firstSecond = kinesis.acceptedAt.filter((t) => t - started < 900).length;
    expect(firstSecond).toBeLessThanOrEqual(200 + 180);
    await producer.close();
  });

  it('keeps a shard within its bytes-per-second budget and still fills records', async () => {
    // Prepare: ~250 KB of events against 100 KB/s
    const kinesis = new ScriptedKinesis(undefined, ONE_SHARD);
    const producer = scriptedProducer(kinesis, {
      rateLimit: { recordsPerSecond: 1_000, bytesPerSecond: 100 * 1024 },
    });
    const sent = Array.from({ length: 1_200 }, () => sampleEvent('purchase'));
    const bytes = sent.reduce((sum, e) => sum + JSON.stringify(e).length + 1, 0);
    const started = performance.now();

    // Act
    await Promise.all(sent.map((event) => producer.put(event)));

    // Assess: elapsed covers the bytes beyond one second's burst; records stay near 25 KB
    const elapsed = performance.now() - started;
    expect(ScriptedKinesis.idsIn(kinesis.accepted).sort()).toEqual(sent.map((e) => e.id).sort());
    expect(elapsed).toBeGreaterThanOrEqual(((bytes - 100 * 1024) / (100 * 1024)) * 1_000 * 0.95);
    // Filled records: hardly more of them than the bytes need at 20 KB each. How the tail goes
    // depends on when the timers fire here; the next test fixes their firing and checks it.
    expect(kinesis.accepted.length).toBeLessThanOrEqual(Math.ceil(bytes / (20 * 1024)) + 1);
    await producer.close();
  });

  it('sends the rest of a rate-limited lane as one record, waiting until the budget covers its partition key too', async () => {
    // Prepare: timers and performance.now() faked, so each rate timer fires exactly when the
    // budget it waited for is there. The budget is charged for data plus partition key; asked
    // for the data alone, the tail went as two records, the second one event.
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'performance'],
      loopLimit: 1_000_000,
    });
    const kinesis = new ScriptedKinesis(undefined, ONE_SHARD);
    const producer = scriptedProducer(kinesis, {
      rateLimit: { recordsPerSecond: 1_000, bytesPerSecond: 100 * 1024 },
    });
    const sent = Array.from({ length: 1_200 }, () => sampleEvent('purchase'));

    // Act
    const acknowledged = Promise.all(sent.map((event) => producer.put(event)));
    await vi.runAllTimersAsync();
    await acknowledged;

    // Assess: full records, then one record with the rest
    expect(ScriptedKinesis.idsIn(kinesis.accepted).sort()).toEqual(sent.map((e) => e.id).sort());
    const sizes = kinesis.accepted.map((data) => data.length);
    const full = sizes[0] as number;
    expect(full).toBeGreaterThan(25_000);
    expect(sizes.slice(0, -1).every((size) => size === full)).toBe(true);
    const total = sizes.reduce((sum, size) => sum + size, 0);
    expect(sizes).toHaveLength(Math.ceil(total / full));
    await producer.close();
  });

  it('routes by partition key and warns once when ListShards is refused', async () => {
    // Prepare: no shards scripted, so ListShards throws AccessDeniedException
    const warnings: string[] = [];
    const kinesis = new ScriptedKinesis();
    const producer = scriptedProducer(kinesis, {
      logger: { info: () => undefined, warn: (message) => warnings.push(message) },
    });

    // Act
    const ack = await producer.put(sampleEvent('page_view'), { partitionKey: 'user-7' });

    // Assess
    expect(ack.sequenceNumber).toBe('1');
    expect(kinesis.calls[0]?.Records?.[0]?.PartitionKey).toBe('user-7');
    expect(kinesis.calls[0]?.Records?.[0]?.ExplicitHashKey).toBeUndefined();
    expect(warnings).toEqual([expect.stringContaining('could not list shards')]);
    await producer.close();
  });

  it('rejects a partition key over 256 characters naming the option', async () => {
    const producer = scriptedProducer(new ScriptedKinesis(undefined, ONE_SHARD));
    await expect(
      producer.put(sampleEvent('page_view'), { partitionKey: 'k'.repeat(257) }),
    ).rejects.toThrow(/partitionKey must be 1\.\.256 characters \(given 257\)/);
    await producer.close();
  });

  describe('record TTL', () => {
    it('rejects in-flight and queued events with RecordExpiredError and never sends the queued ones', async () => {
      // Prepare: the first call hangs; one call in flight at a time
      const gate = gated();
      const kinesis = new ScriptedKinesis(gate.respond, ONE_SHARD);
      const producer = scriptedProducer(kinesis, {
        packing: 'none',
        maxInFlightRequests: 1,
        recordTtlMs: 100,
        rateLimit: { recordsPerSecond: 1, bytesPerSecond: 1024 * 1024 },
      });

      // Act: the first event leaves at once, the budget holds the others back
      const outcomes = await Promise.all(
        Array.from({ length: 4 }, () =>
          producer.put(sampleEvent('page_view')).catch((error: unknown) => error),
        ),
      );
      gate.release();
      await producer.close();

      // Assess
      expect(outcomes.every((o) => o instanceof RecordExpiredError)).toBe(true);
      const [first, ...rest] = outcomes as RecordExpiredError[];
      expect(first?.maybeDelivered).toBe(true);
      expect(first?.message).toMatch(/recordTtlMs=100 ms; a call carrying it was in flight/);
      expect(rest.every((e) => !e.maybeDelivered && /never sent/.test(e.message))).toBe(true);
      expect(kinesis.calls).toHaveLength(1);
      expect(producer.stats).toMatchObject({
        eventsExpired: 4,
        eventsFailed: 4,
        eventsAcknowledged: 0,
      });
    });
  });

  describe('close', () => {
    it('waits for calls in flight, acknowledges their events, then refuses new ones', async () => {
      // Prepare
      const gate = gated();
      const kinesis = new ScriptedKinesis(gate.respond, ONE_SHARD);
      const producer = scriptedProducer(kinesis);
      const puts = Array.from({ length: 50 }, () => producer.put(sampleEvent('add_to_cart')));
      await new Promise((resolve) => setTimeout(resolve, 20));
      let closed = false;

      // Act
      const closing = producer.close().then(() => {
        closed = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 30));
      const closedBeforeRelease = closed;
      gate.release();
      await closing;

      // Assess
      expect(closedBeforeRelease).toBe(false);
      expect((await Promise.all(puts)).length).toBe(50);
      expect(producer.stats.eventsAcknowledged).toBe(50);
      await expect(producer.put(sampleEvent('page_view'))).rejects.toThrow('producer is closed');
    });
  });

  describe('observability', () => {
    it('reports acknowledgements with latencies, periodic stats and a log line', async () => {
      // Prepare
      const kinesis = new ScriptedKinesis(undefined, ONE_SHARD);
      const logged: Record<string, unknown>[] = [];
      const producer = scriptedProducer(kinesis, {
        statsIntervalMs: 20,
        logger: {
          info: (_message, attributes) => logged.push(attributes ?? {}),
          warn: () => undefined,
        },
      });
      const acknowledged: number[] = [];
      const snapshots: ProducerStatsSnapshot[] = [];
      producer.on('acknowledged', (count, shardId, latencies) => {
        acknowledged.push(count);
        expect(shardId).toBe('shardId-000000000000');
        expect(latencies).toHaveLength(count);
      });
      producer.on('stats', (snapshot) => snapshots.push(snapshot));

      // Act
      await Promise.all(Array.from({ length: 30 }, () => producer.put(sampleEvent('page_view'))));
      await new Promise((resolve) => setTimeout(resolve, 60));
      await producer.close();

      // Assess
      expect(acknowledged.reduce((a, b) => a + b, 0)).toBe(30);
      const last = producer.snapshot();
      expect(last.ackLatencyMs.p50).toBeGreaterThan(0);
      expect(last.ackLatencyMs.p99).toBeLessThanOrEqual(last.ackLatencyMs.max ?? 0);
      expect(snapshots.at(-1)?.eventsAcknowledged).toBe(30);
      expect(logged.at(-1)).toMatchObject({ stream: 'test-stream', eventsAcknowledged: 30 });
    });
  });

  it('still sends when a shard budget is smaller than one record', async () => {
    // Prepare: 20 KB/s of budget against 25 KB records
    const kinesis = new ScriptedKinesis(undefined, ONE_SHARD);
    const producer = scriptedProducer(kinesis, {
      rateLimit: { recordsPerSecond: 1_000, bytesPerSecond: 20_000 },
      recordTtlMs: 10_000,
    });
    const sent = Array.from({ length: 150 }, () => sampleEvent('purchase'));

    // Act
    await Promise.all(sent.map((event) => producer.put(event)));
    await producer.close();

    // Assess
    expect(ScriptedKinesis.idsIn(kinesis.accepted).sort()).toEqual(sent.map((e) => e.id).sort());
    expect(producer.stats.eventsExpired).toBe(0);
  });

  it('resolves flush once the events put before it settled, while puts go on', async () => {
    // Prepare: a producer kept busy by a steady stream of puts
    const kinesis = new ScriptedKinesis(undefined, ONE_SHARD);
    const producer = scriptedProducer(kinesis, { lingerMs: 20 });
    let producing = true;
    const background = (async () => {
      while (producing) {
        void producer.put(sampleEvent('page_view'));
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = producer.put(sampleEvent('purchase'));

    // Act
    await producer.flush();
    const stillProducing = producing;

    // Assess
    await expect(before).resolves.toMatchObject({ shardId: 'shardId-000000000000' });
    expect(stillProducing).toBe(true);
    producing = false;
    await background;
    await producer.close();
  });

  it('keeps settling events when a listener throws, and logs it', async () => {
    const warnings: string[] = [];
    const producer = scriptedProducer(new ScriptedKinesis(undefined, ONE_SHARD), {
      logger: { info: () => undefined, warn: (message) => warnings.push(message) },
    });
    producer.on('acknowledged', () => {
      throw new Error('listener bug');
    });

    const acks = await Promise.all([
      producer.put(sampleEvent('page_view')),
      producer.put(sampleEvent('page_view')),
    ]);
    await producer.close();

    expect(acks).toHaveLength(2);
    expect(warnings).toContain("a 'acknowledged' listener threw; ignored");
  });

  it('says an event may have been delivered when it expires after a call that may have landed', async () => {
    // Prepare: the call times out (it may have reached Kinesis); the retry waits past the TTL
    const kinesis = new ScriptedKinesis(() => {
      throw awsError('TimeoutError');
    }, ONE_SHARD);
    const producer = scriptedProducer(kinesis, {
      recordTtlMs: 50,
      baseBackoffMs: 500,
      maxBackoffMs: 500,
    });

    // Act
    const error = await producer.put(sampleEvent('page_view')).catch((e: unknown) => e);
    await producer.close();

    // Assess
    expect(error).toBeInstanceOf(RecordExpiredError);
    expect(error).toMatchObject({ maybeDelivered: true });
  });

  it.each([
    [
      'recordTargetBytes',
      { recordTargetBytes: 2 * 1024 * 1024 },
      'recordTargetBytes must be at most 1048576 (given 2097152)',
    ],
    [
      'recordTtlMs',
      { recordTtlMs: 2 ** 31 },
      'recordTtlMs must be at most 2147483647 (given 2147483648)',
    ],
    [
      'packing',
      { packing: 'gzip' as never },
      'packing must be one of ndjson, kpl, none (given gzip)',
    ],
  ])('rejects %s out of range naming the option', (_name, options, message) => {
    expect(() => scriptedProducer(new ScriptedKinesis(), options)).toThrow(message);
  });
});
