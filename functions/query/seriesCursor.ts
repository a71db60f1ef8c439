import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { AGGREGATE_ATTRIBUTES as A } from '../aggregate/DynamoAggregateStore.js';
import { QueryParameterError } from './errors.js';

/**
 * Encodes a Query's `LastEvaluatedKey` as an opaque cursor (base64url of its
 * `pk` and `sk`), so clients page without knowing the table's key schema.
 */
export function encodeSeriesCursor(key: Record<string, AttributeValue>): string {
  const pk = key[A.partitionKey]?.S;
  const sk = key[A.sortKey]?.S;
  if (pk === undefined || sk === undefined) {
    throw new Error(
      `LastEvaluatedKey lacks ${A.partitionKey} or ${A.sortKey}: ${JSON.stringify(key)}`,
    );
  }
  return Buffer.from(JSON.stringify([pk, sk]), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor back into an `ExclusiveStartKey`, refusing one that was
 * not made for this series (another metric, group or window, or a sort key
 * outside the range): starting a Query there would skip or repeat points.
 *
 * @throws {QueryParameterError} naming `cursor` and the value
 */
export function decodeSeriesCursor(
  cursor: string,
  expected: { pk: string; fromSk: string; toSk: string },
): Record<string, AttributeValue> {
  let decoded: unknown;
  try {
    decoded = /^[A-Za-z0-9_-]+$/.test(cursor)
      ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
      : undefined;
  } catch {
    // Not JSON inside: refused below like any other foreign cursor.
    decoded = undefined;
  }
  const [pk, sk] = Array.isArray(decoded) ? decoded : [];
  if (
    typeof pk !== 'string' ||
    typeof sk !== 'string' ||
    pk !== expected.pk ||
    sk < expected.fromSk ||
    sk > expected.toSk
  ) {
    throw new QueryParameterError(
      'cursor',
      cursor,
      `cursor: not a cursor of this series and range; pass nextCursor from the previous page with the same metric, group, window, since and until (given ${JSON.stringify(cursor)})`,
    );
  }
  return { [A.partitionKey]: { S: pk }, [A.sortKey]: { S: sk } };
}
