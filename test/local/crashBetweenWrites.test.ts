import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileMetrics } from '../../core/aggregates/compileMetrics.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { webShopCatalog } from '../../examples/web-shop/catalog.js';
import {
  type AggregateDependencies,
  aggregateKinesisBatch,
} from '../../functions/aggregate/aggregateKinesisBatch.js';
import { DynamoAggregateStore } from '../../functions/aggregate/DynamoAggregateStore.js';
import { DynamoAttemptTracker } from '../../functions/aggregate/DynamoAttemptTracker.js';
import { DynamoGroupRegistry } from '../../functions/aggregate/DynamoGroupRegistry.js';
import { DynamoShardLedger } from '../../functions/aggregate/DynamoShardLedger.js';
import { LOCAL_CREDENTIALS } from '../../local/awsClients.js';
import { type RunningEmulators, startEmulators } from '../../local/emulators/startEmulators.js';
import { createAggregatesTable } from '../../local/provisionResources.js';
import { batchOfEvents } from '../helpers/dynamoHandler.js';
import { sampleEvent } from '../helpers/events.js';
import { expectedAggregates, expectMatchesGroundTruth } from './groundTruth.js';
import { readAggregates } from './readAggregates.js';

/**
 * Invariant: a process that dies between any two of its DynamoDB writes and
 * is replaced by a fresh one (cold caches) replaying the same batch leaves
 * every figure exact, min and max included. The writes are counted on a first
 * clean run; then, for each k, the first process dies right after its k-th
 * write (every later request of it fails, as in a killed process).
 */

const config = loadConfig();
let emulators: RunningEmulators;
let endpoint: string;
let tables = 0;

/** A DynamoDB client that stops answering after `writesBeforeDeath` writes (`Infinity`: never). */
function mortalClient(writesBeforeDeath: number): { client: DynamoDBClient; writes: () => number } {
  let writes = 0;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const isWrite =
        context.commandName === 'UpdateItemCommand' || context.commandName === 'PutItemCommand';
      if (writes >= writesBeforeDeath) throw new Error('the process is dead');
      const result = await next(args);
      if (isWrite) writes++;
      return result;
    },
    { step: 'initialize', name: 'dieAfterWrites' },
  );
  return { client, writes: () => writes };
}

function dependencies(client: DynamoDBClient, table: string): AggregateDependencies {
  return {
    store: new DynamoAggregateStore(client, table),
    groups: new DynamoGroupRegistry(client, table),
    attempts: new DynamoAttemptTracker(new DynamoShardLedger(client, table)),
    rejects: { write: async () => undefined },
    metrics: compileMetrics(config),
    catalog: webShopCatalog,
    // Each round writes its own day's items, so rounds share one table without touching each other.
    maxLatenessMs: 100 * 86_400_000,
    maxFutureSkewMs: 300_000,
    logger: new Logger({ logLevel: 'SILENT' }),
  };
}

/** Purchases whose second batch lowers the min and raises the max of every item it touches. */
function purchases(amounts: readonly number[], time: string): StreamfoldEvent[] {
  return amounts.map((amount, i) =>
    sampleEvent('purchase', { time, data: { amount, country: ['DE', 'FR', 'PL'][i % 3] } }),
  );
}

beforeAll(async () => {
  emulators = await startEmulators({ host: '127.0.0.1', ports: { dynamodb: 0 } });
  endpoint = `http://127.0.0.1:${emulators.ports.dynamodb}`;
});

afterAll(async () => {
  await emulators?.stop();
});

describe('a crash between any two writes', () => {
  /** The two batches of round `k`, on day `k` before today. */
  const batches = (k: number) => {
    const time = new Date(Date.now() - k * 86_400_000).toISOString();
    // First batch: middling amounts. Second: new extremes, wide apart, so several histogram chunks.
    const first = purchases([50.5, 60.25, 70, 55, 65.75, 58], time);
    const second = purchases([1.41, 9_999.99, 0.02, 3.04, 123_456.78, 0.5, 42, 7_654.3, 2.5], time);
    return { first, second };
  };

  it('leaves count, sum, min, max and buckets exact after a fresh process replays the batch', async () => {
    // Prepare: count the writes of a clean run of the second batch.
    const table = `crash-${++tables}`;
    const setup = mortalClient(Number.POSITIVE_INFINITY);
    await createAggregatesTable(setup.client, table);
    const probe = batches(0);
    await aggregateKinesisBatch(
      batchOfEvents(probe.first, 1, 2),
      dependencies(setup.client, table),
    );
    const before = setup.writes();
    await aggregateKinesisBatch(
      batchOfEvents(probe.second, 10, 2),
      dependencies(setup.client, table),
    );
    const writesOfSecond = setup.writes() - before;
    expect(writesOfSecond).toBeGreaterThan(10);
    const all = [...probe.first, ...probe.second];

    for (let k = 0; k < writesOfSecond; k++) {
      // Prepare: the first batch is applied; a process dies after k writes of the second.
      const { first, second } = batches(k + 1);
      all.push(...first, ...second);
      const base = 100 * (k + 1);
      await aggregateKinesisBatch(batchOfEvents(first, base, 2), dependencies(setup.client, table));
      const dying = mortalClient(k);
      await aggregateKinesisBatch(
        batchOfEvents(second, base + 10, 2),
        dependencies(dying.client, table),
      );
      // Act: a fresh process replays the batch (the mapping retries it whole).
      const { response } = await aggregateKinesisBatch(
        batchOfEvents(second, base + 10, 2),
        dependencies(mortalClient(Number.POSITIVE_INFINITY).client, table),
      );
      // Assess
      expect(response.batchItemFailures, `died after write ${k}`).toEqual([]);
    }
    expectMatchesGroundTruth(
      await readAggregates(setup.client, table),
      expectedAggregates(config, all),
    );
  }, 120_000);
});
