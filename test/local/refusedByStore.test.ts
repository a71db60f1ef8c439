import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileMetrics } from '../../core/aggregates/compileMetrics.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import { webShopCatalog } from '../../examples/web-shop/catalog.js';
import {
  type AggregateDependencies,
  aggregateKinesisBatch,
} from '../../functions/aggregate/aggregateKinesisBatch.js';
import { DynamoAggregateStore } from '../../functions/aggregate/DynamoAggregateStore.js';
import { DynamoGroupRegistry } from '../../functions/aggregate/DynamoGroupRegistry.js';
import type { RejectEntry } from '../../functions/aggregate/RejectsSink.js';
import { LOCAL_CREDENTIALS } from '../../local/awsClients.js';
import { type RunningEmulators, startEmulators } from '../../local/emulators/startEmulators.js';
import { createAggregatesTable } from '../../local/provisionResources.js';
import { sampleEvent } from '../helpers/events.js';
import { kinesisStreamEvent } from '../helpers/kinesisStreamEvent.js';
import { readAggregates } from './readAggregates.js';

/**
 * A delta DynamoDB refuses as invalid never blocks the shard and never costs
 * the other events of its item. Validation refuses every value DynamoDB
 * cannot store, so the refusal is injected: updates carrying the amount
 * 777.77 are answered with DynamoDB's `ValidationException` (the probe that
 * writes nothing included), as dynalite answers `5e-324`.
 */

const config = loadConfig();
const POISON = 777.77;
let emulators: RunningEmulators;

function refusingClient(endpoint: string): DynamoDBClient {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const values = (args.input as { ExpressionAttributeValues?: Record<string, { N?: string }> })
        .ExpressionAttributeValues;
      if (
        context.commandName === 'UpdateItemCommand' &&
        Object.values(values ?? {}).some((v) => v.N?.includes(String(POISON)))
      ) {
        throw Object.assign(
          new Error('ExpressionAttributeValues contains invalid value: Number underflow'),
          { name: 'ValidationException', $fault: 'client' },
        );
      }
      return next(args);
    },
    { step: 'initialize', name: 'refusePoison' },
  );
  return client;
}

beforeAll(async () => {
  emulators = await startEmulators({ host: '127.0.0.1', ports: { dynamodb: 0 } });
});

afterAll(async () => {
  await emulators?.stop();
});

describe('a value the store refuses', () => {
  it('is sent to the rejects sink alone; the other events of its item and record count once, nothing is retried', async () => {
    // Prepare
    const client = refusingClient(`http://127.0.0.1:${emulators.ports.dynamodb}`);
    await createAggregatesTable(client, 'refused-test');
    const rejects: RejectEntry[] = [];
    const deps: AggregateDependencies = {
      store: new DynamoAggregateStore(client, 'refused-test'),
      groups: new DynamoGroupRegistry(client, 'refused-test'),
      rejects: { write: async (entries) => void rejects.push(...entries) },
      metrics: compileMetrics(config),
      catalog: webShopCatalog,
      maxLatenessMs: 3_600_000,
      maxFutureSkewMs: 300_000,
      logger: new Logger({ logLevel: 'SILENT' }),
    };
    const time = new Date().toISOString();
    const purchase = (amount: number) =>
      sampleEvent('purchase', { time, data: { amount, country: 'DE' } });
    const batch = kinesisStreamEvent([
      { sequenceNumber: '100', lines: [purchase(10)] },
      { sequenceNumber: '200', lines: [purchase(POISON), purchase(20)] },
      { sequenceNumber: '300', lines: [purchase(30)] },
    ]);
    // Act: delivered, then delivered again (a replay).
    const first = await aggregateKinesisBatch(batch, deps);
    const second = await aggregateKinesisBatch(batch, deps);
    // Assess
    expect(first.response.batchItemFailures).toEqual([]);
    expect(second.response.batchItemFailures).toEqual([]);
    expect(first.summary.eventsRefusedByStore).toBe(1);
    expect(second.summary.eventsRefusedByStore).toBe(0);
    const stored = await readAggregates(client, 'refused-test');
    const revenue = [...stored].filter(([key]) => key.startsWith('revenue#country=DE|'));
    expect(revenue).toHaveLength(3);
    for (const [key, figures] of revenue) {
      expect(figures.count, key).toBe(3);
      expect(Number(figures.sum), key).toBe(60);
      expect(figures.min, key).toBe(10);
      expect(figures.max, key).toBe(30);
      expect(
        Object.values(figures.buckets ?? {}).reduce((a, b) => a + b, 0),
        key,
      ).toBe(3);
    }
    // One reject per refused item (1m, 1h, 1d), each naming the item and quoting DynamoDB.
    expect(rejects).toHaveLength(3);
    for (const entry of rejects) {
      expect(entry.reason.code).toBe('refused_by_store');
      expect(entry.reason.message).toContain('Number underflow');
      expect(entry.sequenceNumber).toBe('200');
      expect(entry.lineIndex).toBe(0);
      expect(entry.raw).toContain(String(POISON));
    }
  });

  it('is refused on arrival when validation can tell (5e-324): the good events of its record count once, nothing is retried', async () => {
    // Prepare: the real emulator, no injected faults; it refuses 5e-324 as "Number underflow".
    const client = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${emulators.ports.dynamodb}`,
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
    });
    await createAggregatesTable(client, 'poison-number');
    const rejects: RejectEntry[] = [];
    const deps: AggregateDependencies = {
      store: new DynamoAggregateStore(client, 'poison-number'),
      groups: new DynamoGroupRegistry(client, 'poison-number'),
      rejects: { write: async (entries) => void rejects.push(...entries) },
      metrics: compileMetrics(config),
      catalog: webShopCatalog,
      maxLatenessMs: 3_600_000,
      maxFutureSkewMs: 300_000,
      logger: new Logger({ logLevel: 'SILENT' }),
    };
    const time = new Date().toISOString();
    const poison = `{"id":"poison","type":"purchase","time":"${time}","source":"test","data":{"orderId":"o","amount":5e-324,"currency":"EUR","items":1,"country":"PL"}}`;
    const good = (amount: number) =>
      sampleEvent('purchase', { time, data: { amount, country: 'PL' } });
    const batch = kinesisStreamEvent([
      { sequenceNumber: '100', lines: [good(10_000_000), poison, good(1.41)] },
      { sequenceNumber: '200', lines: [good(3.04)] },
    ]);
    // Act: delivered, then replayed.
    const first = await aggregateKinesisBatch(batch, deps);
    const second = await aggregateKinesisBatch(batch, deps);
    // Assess
    expect(first.response.batchItemFailures).toEqual([]);
    expect(second.response.batchItemFailures).toEqual([]);
    const stored = await readAggregates(client, 'poison-number');
    const revenue = [...stored].filter(([key]) => key.startsWith('revenue#country=PL|'));
    expect(revenue).toHaveLength(3);
    for (const [key, figures] of revenue) {
      expect(figures.count, key).toBe(3);
      expect(String(figures.sum), key).toBe('10000004.45');
      expect(figures.min, key).toBe(1.41);
      expect(figures.max, key).toBe(10_000_000);
    }
    expect(rejects.filter((r) => r.reason.code === 'unstorable_number')).toHaveLength(2);
    expect(rejects[0]?.reason.message).toContain('data.amount: 5e-324');
  });
});
