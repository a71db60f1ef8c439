import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { aggregatePartitionKey } from '../../core/aggregates/aggregateKey.js';
import { AGGREGATE_ATTRIBUTES as A } from '../aggregate/DynamoAggregateStore.js';
import { UnknownGroupError } from './errors.js';
import type { SeriesParameters } from './parseQueryParameters.js';
import { type AggregateSource, listGroups } from './queryAggregates.js';
import { suggestGroup } from './suggestGroup.js';

/** 9999-12-31T00:00:00.000Z: past any bucket, so a range from 0 to it is all time. */
const END_OF_TIME_MS = Date.UTC(9999, 11, 31);

/**
 * Tells a group that exists but has no buckets in a range from one that does
 * not exist: returns when the metric has any item for `params.group`, in any
 * window and at any time, and throws otherwise. Called when a series came
 * back empty, so a misspelt or half-typed group (`DE` for `country=DE`) is
 * named instead of answered with silence.
 *
 * Cost: a Query of one item on the group's partition (0.5 read units) when
 * the group exists; when it does not, also the reads of `GET /api/groups`
 * over all time (the metric's items in the window) for the groups the error
 * names.
 *
 * @throws {UnknownGroupError} naming the metric's groups in the window, most events first,
 *   and the one likely meant
 */
export async function requireKnownGroup(
  source: AggregateSource,
  params: SeriesParameters,
): Promise<void> {
  const found = await source.dynamodb.send(
    new QueryCommand({
      TableName: source.tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': A.partitionKey },
      ExpressionAttributeValues: {
        ':pk': { S: aggregatePartitionKey(params.metric.name, params.group) },
      },
      ProjectionExpression: '#pk',
      Limit: 1,
    }),
  );
  if ((found.Items?.length ?? 0) > 0) return;
  // Every time, not only the range: the group meant may just have had no events lately.
  const { groups } = await listGroups(source, {
    ...params,
    firstBucketMs: 0,
    lastBucketMs: END_OF_TIME_MS,
  });
  const known = groups.map(({ group }) => group);
  throw new UnknownGroupError(
    params.metric.name,
    params.group,
    params.window,
    known,
    suggestGroup(params.group, known),
  );
}
