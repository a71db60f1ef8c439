import { Logger } from '@aws-lambda-powertools/logger';
import { DeleteTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregationSettingsOf } from '../../../core/aggregates/compileMetrics.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import { aggregateDependencies } from '../../../functions/aggregate/aggregateDependencies.js';
import { DynamoShardLedger } from '../../../functions/aggregate/DynamoShardLedger.js';
import { createAggregatesTable } from '../../../local/provisionResources.js';
import { type LocalPipeline, startLocalPipeline } from '../../../local/startLocalPipeline.js';
import { redriveFailures } from '../../../ops/redrive/redriveFailures.js';
import { sampleEvent } from '../../helpers/events.js';
import { expectedAggregates, expectMatchesGroundTruth } from '../../local/groundTruth.js';
import { readAggregates } from '../../local/readAggregates.js';

// Short windows, few retries and a short timeout (an invocation tries an unreachable ledger for
// half of it) so that a failing handler gives up within seconds.
const config = loadConfig({
  aggregation: { maxBatchingWindow: '0s', maxRetryAttempts: 2, timeout: '2s' },
});

let pipeline: LocalPipeline;

beforeAll(async () => {
  pipeline = await startLocalPipeline({
    config,
    ephemeralPorts: true,
    demoRate: 0,
    // The handler logs every failed update while the table is missing; keep the output readable.
    handlerLogLevel: 'ERROR',
  });
});

afterAll(async () => {
  await pipeline?.stop();
});

/** Deletes the aggregates table, so every write of the handler fails, and waits until it is gone. */
async function removeTable(): Promise<void> {
  const { dynamodb } = pipeline.clients;
  await dynamodb.send(new DeleteTableCommand({ TableName: config.table.name }));
  for (;;) {
    const gone = await dynamodb
      .send(new DescribeTableCommand({ TableName: config.table.name }))
      .then(() => false)
      .catch((error: Error) => error.name === 'ResourceNotFoundException');
    if (gone) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('redrive with the local pipeline', () => {
  it('aggregates records sent to the on-failure destination exactly once after the fault is removed and redrive runs', async () => {
    // Prepare: the handler keeps failing (no table) until the batches go to the on-failure destination.
    await removeTable();
    const events: StreamfoldEvent[] = [];
    const acks: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      const type = (['page_view', 'add_to_cart', 'purchase'] as const)[i % 3] as 'purchase';
      const event = sampleEvent(type, {
        data: { country: ['DE', 'FR', 'US'][i % 4 === 0 ? 1 : i % 3] },
      });
      events.push(event);
      acks.push(pipeline.producer.put(event as never, { partitionKey: `customer-${i % 17}` }));
    }
    await Promise.all(acks);
    await pipeline.waitForDrain(30_000);
    const discarded = pipeline.status().sentToOnFailure;
    expect(discarded).toBeGreaterThan(0);
    // Remove the fault.
    await createAggregatesTable(pipeline.clients.dynamodb, config.table.name);
    const redrive = () =>
      redriveFailures({
        s3: pipeline.clients.s3,
        kinesis: pipeline.clients.kinesis,
        bucket: config.rejects.bucketName,
        prefix: config.rejects.onFailurePrefix,
        aggregation: aggregateDependencies({
          catalog: webShopCatalog,
          dynamodb: pipeline.clients.dynamodb,
          s3: pipeline.clients.s3,
          tableName: config.table.name,
          rejectsBucketName: config.rejects.bucketName,
          rejectsPrefix: config.rejects.rejectsPrefix,
          settings: aggregationSettingsOf(config),
          logger: new Logger({ logLevel: 'SILENT' }),
        }),
        ledger: new DynamoShardLedger(pipeline.clients.dynamodb, config.table.name),
      });
    // Act
    const first = await redrive();
    const second = await redrive();
    // Assess
    expect(first.records).toBe(discarded);
    expect(first.failed).toBe(0);
    expect(second).toMatchObject({ redriven: 0, alreadyRedriven: first.redriven, records: 0 });
    const stored = await readAggregates(pipeline.clients.dynamodb, config.table.name);
    expectMatchesGroundTruth(stored, expectedAggregates(config, events));
  });
});
