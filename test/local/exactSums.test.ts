import { Logger } from '@aws-lambda-powertools/logger';
import {
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileMetrics } from '../../core/aggregates/compileMetrics.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import { SUMMABLE_NUMBER_LIMITS } from '../../core/decimal/summableNumberRule.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { webShopCatalog } from '../../examples/web-shop/catalog.js';
import { aggregateKinesisBatch } from '../../functions/aggregate/aggregateKinesisBatch.js';
import { DynamoAggregateStore } from '../../functions/aggregate/DynamoAggregateStore.js';
import { DynamoGroupRegistry } from '../../functions/aggregate/DynamoGroupRegistry.js';
import type { RunningEmulators } from '../../local/emulators/startEmulators.js';
import { createAggregatesTable } from '../../local/provisionResources.js';
import { sampleEvent } from '../helpers/events.js';
import { kinesisStreamEvent } from '../helpers/kinesisStreamEvent.js';
import { seededRandom } from '../helpers/seededRandom.js';
import { startTestEmulators } from '../helpers/testEmulators.js';
import { expectedAggregates, expectMatchesGroundTruth } from './groundTruth.js';
import { readAggregates } from './readAggregates.js';

const config = loadConfig();
const TIME = '2026-11-22T10:15:30.000Z';
const NOW = Date.parse('2026-11-22T10:20:00.000Z');
let emulators: RunningEmulators;
let dynamodb: DynamoDBClient;
let tables = 0;

async function newTable(): Promise<string> {
  const name = `exact-sums-${++tables}`;
  await createAggregatesTable(dynamodb, name);
  return name;
}

/** Folds `events` through the real handler into `table`, one record of 50 events at a time. */
async function aggregate(table: string, events: readonly StreamfoldEvent[]): Promise<void> {
  const records = [];
  for (let i = 0; i < events.length; i += 50) {
    records.push({ sequenceNumber: String(1_000 + i), lines: events.slice(i, i + 50) });
  }
  const { summary } = await aggregateKinesisBatch(kinesisStreamEvent(records), {
    store: new DynamoAggregateStore(dynamodb, table),
    rejects: { write: async () => undefined },
    metrics: compileMetrics(config),
    groups: new DynamoGroupRegistry(dynamodb, table),
    catalog: webShopCatalog,
    maxLatenessMs: 86_400_000,
    maxFutureSkewMs: 300_000,
    logger: new Logger({ logLevel: 'SILENT' }),
    now: () => NOW,
  });
  expect(summary.eventsFolded).toBe(events.length);
}

async function storedSum(table: string, pk: string, sk: string): Promise<string | undefined> {
  const { Item } = await dynamodb.send(
    new GetItemCommand({
      TableName: table,
      Key: { pk: { S: pk }, sk: { S: sk } },
      ConsistentRead: true,
    }),
  );
  return Item?.sum?.N;
}

function purchases(amounts: readonly number[]): StreamfoldEvent[] {
  return amounts.map((amount, i) =>
    sampleEvent('purchase', { id: `p-${i}`, time: TIME, data: { amount, country: 'DE' } }),
  );
}

beforeAll(async () => {
  ({
    emulators,
    clients: { dynamodb },
  } = await startTestEmulators({ dynamodb: true }));
});

afterAll(async () => {
  await emulators?.stop();
});

describe('exact decimal sums in DynamoDB (dynalite)', () => {
  it('stores the exact decimal total of 300 two-decimal purchases', async () => {
    // Prepare: amounts in whole cents; their binary floating-point sum is 72640.19000000003
    const random = seededRandom(1);
    const amounts = Array.from({ length: 300 }, () => Math.round(random() * 50_000) / 100);
    const cents = amounts.reduce((sum, amount) => sum + BigInt(Math.round(amount * 100)), 0n);
    const exact = `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`.replace(/\.?0+$/, '');
    const table = await newTable();
    const events = purchases(amounts);
    // Act
    await aggregate(table, events);
    // Assess: the raw attribute, and every item against the ground truth
    for (const sk of ['1m#2026-11-22T10:15:00.000Z', '1h#2026-11-22T10:00:00.000Z']) {
      expect(await storedSum(table, 'revenue#country=DE', sk)).toBe(exact);
    }
    expect(exact).toBe('72640.19');
    expect(String(amounts.reduce((a, b) => a + b, 0))).toBe('72640.19000000003');
    expectMatchesGroundTruth(
      await readAggregates(dynamodb, table),
      expectedAggregates(config, events),
    );
  });

  it('stores 0.3 for 0.1 + 0.2 folded in one batch', async () => {
    // Prepare
    const table = await newTable();
    // Act
    await aggregate(table, purchases([0.1, 0.2]));
    // Assess
    expect(await storedSum(table, 'revenue#country=DE', '1m#2026-11-22T10:15:00.000Z')).toBe('0.3');
  });
});

describe('the storable-number rule against the emulator', () => {
  const key = { pk: { S: 'limits' }, sk: { S: 'x' } };
  const add = (table: string, n: string) =>
    dynamodb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: key,
        UpdateExpression: 'ADD #sum :n',
        ExpressionAttributeNames: { '#sum': 'sum' },
        ExpressionAttributeValues: { ':n': { N: n } },
      }),
    );

  it('is needed: DynamoDB refuses 5e-324 and 1e-131 as an underflow and 1e126 as an overflow', async () => {
    const table = await newTable();
    await expect(add(table, String(5e-324))).rejects.toThrow(/Number underflow/);
    await expect(add(table, '1e-131')).rejects.toThrow(/Number underflow/);
    await expect(add(table, '1e126')).rejects.toThrow(/Number overflow/);
  });

  it('is enough: a sum of accepted values needs at most 38 digits, which DynamoDB stores', async () => {
    // Prepare: below 1e12 · 1e14 = 1e26 with 12 decimal places, the widest sum the rule allows,
    // and the same with a 13th decimal place (a value the rule refuses)
    const { maxDecimalPlaces, magnitudeLimit, valuesPerSum } = SUMMABLE_NUMBER_LIMITS;
    const integerDigits = Math.log10(valuesPerSum * magnitudeLimit);
    const widest = `${'9'.repeat(integerDigits)}.${'9'.repeat(maxDecimalPlaces)}`;
    const table = await newTable();
    const put = (n: string) =>
      dynamodb.send(new PutItemCommand({ TableName: table, Item: { ...key, sum: { N: n } } }));
    // Act / Assess (dynalite checks written numbers; DynamoDB also checks the result of an ADD)
    await put(widest);
    expect(await storedSum(table, 'limits', 'x')).toBe(widest);
    await expect(put(`${widest}9`)).rejects.toThrow(/more than 38 significant digits/);
  });
});
