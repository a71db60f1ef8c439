import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../core/config/loadConfig.js';
import { parseGroupsParameters } from '../../../functions/query/parseQueryParameters.js';
import type { AggregateSource } from '../../../functions/query/queryAggregates.js';
import { readRangeItems } from '../../../functions/query/readRangeItems.js';

const config = loadConfig();
const now = Date.parse('2026-11-22T10:30:00Z');
const params = parseGroupsParameters(
  new URLSearchParams('metric=events&window=1m&since=2026-11-22T10:00:00Z'),
  config,
  now,
);
const SK = '1m#2026-11-22T10:05:00.000Z';
const GROUPS = ['type=page_view', 'type=purchase', 'type=add_to_cart'];

const keyOf = (group: string): Record<string, AttributeValue> => ({
  pk: { S: `events#${group}` },
  sk: { S: SK },
});
const itemOf = (group: string): Record<string, AttributeValue> => ({
  ...keyOf(group),
  grp: { S: group },
  cnt: { N: '1' },
});

/**
 * A client whose index lists one item per group and whose BatchGetItem
 * answers `answered(round)` of the keys asked and leaves the rest unprocessed.
 */
function fakeSource(answered: (round: number, asked: number) => number) {
  const calls: string[] = [];
  let round = 0;
  const send = async (command: unknown) => {
    if (command instanceof QueryCommand) {
      calls.push('Query');
      return { Items: GROUPS.map(keyOf), Count: GROUPS.length };
    }
    if (command instanceof BatchGetItemCommand) {
      calls.push('BatchGetItem');
      const keys = command.input.RequestItems?.aggregates?.Keys ?? [];
      const n = answered(round++, keys.length);
      const items = keys
        .slice(0, n)
        .map((key) => itemOf((key.pk?.S ?? '').slice('events#'.length)));
      const rest = keys.slice(n);
      return {
        Responses: { aggregates: items },
        UnprocessedKeys: rest.length === 0 ? {} : { aggregates: { Keys: rest } },
      };
    }
    throw new Error(`unexpected command ${String(command)}`);
  };
  const source: AggregateSource = {
    dynamodb: { send } as unknown as DynamoDBClient,
    tableName: 'aggregates',
  };
  return { source, calls };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('readRangeItems with BatchGetItem', () => {
  it('sends unprocessed keys again until every item is read, each once', async () => {
    // Prepare: one key answered per round
    vi.useFakeTimers();
    const { source, calls } = fakeSource(() => 1);
    const groups: string[] = [];

    // Act
    const reading = readRangeItems(source, params, 'counts', (item) =>
      groups.push(item.grp?.S ?? ''),
    );
    await vi.runAllTimersAsync();
    await reading;

    // Assess
    expect(groups.sort()).toEqual([...GROUPS].sort());
    expect(calls).toEqual(['Query', 'BatchGetItem', 'BatchGetItem', 'BatchGetItem']);
  });

  it('gives up after 8 rounds with keys left, naming the table and how many', async () => {
    // Prepare: nothing is ever answered
    vi.useFakeTimers();
    const { source, calls } = fakeSource(() => 0);

    // Act
    const reading = readRangeItems(source, params, 'counts', () => undefined);
    const outcome = expect(reading).rejects.toThrow(
      'BatchGetItem on aggregates left 3 keys unprocessed after 8 rounds',
    );
    await vi.runAllTimersAsync();

    // Assess
    await outcome;
    expect(calls.filter((name) => name === 'BatchGetItem')).toHaveLength(8);
  });
});
