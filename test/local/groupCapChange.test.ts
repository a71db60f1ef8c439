import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoGroupRegistry } from '../../functions/aggregate/DynamoGroupRegistry.js';
import { createAwsClients } from '../../local/awsClients.js';
import { type RunningEmulators, startEmulators } from '../../local/emulators/startEmulators.js';
import { createAggregatesTable } from '../../local/provisionResources.js';

let emulators: RunningEmulators;
let dynamodb: ReturnType<typeof createAwsClients>['dynamodb'];
let tableCounter = 0;

async function newTable(): Promise<string> {
  const tableName = `cap-change-${++tableCounter}`;
  await createAggregatesTable(dynamodb, tableName);
  return tableName;
}

const admitted = async (registry: DynamoGroupRegistry, cap: number, groups: string[]) => [
  ...(await registry.admit('m', cap, groups)),
];

beforeAll(async () => {
  emulators = await startEmulators({ host: '127.0.0.1', ports: { dynamodb: 0 } });
  dynamodb = createAwsClients(
    {
      dynamodb: `http://127.0.0.1:${emulators.ports.dynamodb}`,
      kinesis: 'http://127.0.0.1:1',
      s3: 'http://127.0.0.1:1',
    },
    'us-east-1',
  ).dynamodb;
});

afterAll(async () => {
  await emulators?.stop();
});

describe('DynamoGroupRegistry when maxGroups changes (dynalite)', () => {
  it('admits new groups, refused ones included, up to a raised cap once a new container runs', async () => {
    // Prepare: cap 2 taken by a and b; c refused
    const table = await newTable();
    const before = new DynamoGroupRegistry(dynamodb, table);
    expect(await admitted(before, 2, ['g=a', 'g=b', 'g=c'])).toEqual(['g=a', 'g=b']);

    // Act: the cap raised to 3, in the same container and in a new one
    const sameContainer = await admitted(before, 3, ['g=c']);
    const after = new DynamoGroupRegistry(dynamodb, table);
    const newContainer = await admitted(after, 3, ['g=c', 'g=d', 'g=a']);

    // Assess
    expect(sameContainer).toEqual([]);
    expect(newContainer).toEqual(['g=c', 'g=a']);
    expect(await after.groupCount('m')).toBe(3);
  });

  it('keeps every admitted group and admits no new one after the cap is lowered', async () => {
    // Prepare
    const table = await newTable();
    await admitted(new DynamoGroupRegistry(dynamodb, table), 3, ['g=a', 'g=b', 'g=c']);

    // Act
    const lowered = await admitted(new DynamoGroupRegistry(dynamodb, table), 1, [
      'g=d',
      'g=b',
      'g=a',
    ]);

    // Assess
    expect(lowered).toEqual(['g=b', 'g=a']);
    expect(await new DynamoGroupRegistry(dynamodb, table).groupCount('m')).toBe(3);
  });
});
