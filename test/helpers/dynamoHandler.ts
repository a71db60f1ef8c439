import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisStreamEvent } from 'aws-lambda';
import { compileMetrics } from '../../core/aggregates/compileMetrics.js';
import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { webShopCatalog } from '../../examples/web-shop/catalog.js';
import {
  type AggregateDependencies,
  aggregateKinesisBatch,
} from '../../functions/aggregate/aggregateKinesisBatch.js';
import { DynamoAggregateStore } from '../../functions/aggregate/DynamoAggregateStore.js';
import { DynamoGroupRegistry } from '../../functions/aggregate/DynamoGroupRegistry.js';
import { kinesisStreamEvent, TEST_SHARD_ID } from './kinesisStreamEvent.js';

/**
 * The aggregate handler's dependencies against a real DynamoDB table, as after
 * a cold start (its own group-registry cache): rejects dropped, quiet logger,
 * a one-hour lateness window around `now`.
 */
export function dynamoHandlerDependencies(
  client: DynamoDBClient,
  tableName: string,
  config: StreamfoldConfig,
  options: { now: number } & Partial<Omit<AggregateDependencies, 'now'>>,
): AggregateDependencies {
  const { now, ...overrides } = options;
  return {
    store: new DynamoAggregateStore(client, tableName),
    groups: new DynamoGroupRegistry(client, tableName),
    rejects: { write: async () => undefined },
    metrics: compileMetrics(config),
    catalog: webShopCatalog,
    maxLatenessMs: 3_600_000,
    maxFutureSkewMs: 300_000,
    logger: new Logger({ logLevel: 'SILENT' }),
    now: () => now,
    ...overrides,
  };
}

/** The handler as a function of a batch, over {@link dynamoHandlerDependencies}. */
export function dynamoHandler(...args: Parameters<typeof dynamoHandlerDependencies>) {
  const deps = dynamoHandlerDependencies(...args);
  return (batch: KinesisStreamEvent) => aggregateKinesisBatch(batch, deps);
}

/**
 * A batch of records holding `eventsPerRecord` events each; record `k` gets
 * sequence number `(firstSequence + k) · 10^20 + 7`, so sequence numbers of
 * different calls interleave as their `firstSequence` do.
 */
export function batchOfEvents(
  events: readonly StreamfoldEvent[],
  firstSequence: number,
  eventsPerRecord: number,
  shardId = TEST_SHARD_ID,
): KinesisStreamEvent {
  const specs = [];
  for (let k = 0; k * eventsPerRecord < events.length; k++) {
    specs.push({
      sequenceNumber: String(BigInt(firstSequence + k) * 10n ** 20n + 7n),
      lines: events.slice(k * eventsPerRecord, (k + 1) * eventsPerRecord),
    });
  }
  return kinesisStreamEvent(specs, shardId);
}
