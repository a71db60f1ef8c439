/** Separator between metric and group in the partition key, and window and bucket in the sort key. */
const SEPARATOR = '#';

/**
 * Partition key of an aggregate item: one item collection per metric and
 * group, so a dashboard reads a time range with one Query.
 *
 * @example
 * aggregatePartitionKey('revenue', 'country=DE'); // 'revenue#country=DE'
 */
export function aggregatePartitionKey(metric: string, group: string): string {
  return `${metric}${SEPARATOR}${group}`;
}

/**
 * Sort key of an aggregate item: window name, then the bucket start in ISO 8601,
 * so `begins_with(sk, '1m#')` plus a `BETWEEN` selects a window's time range.
 *
 * @example
 * aggregateSortKey('1m', Date.parse('2026-11-22T10:15:00Z')); // '1m#2026-11-22T10:15:00.000Z'
 */
export function aggregateSortKey(window: string, bucketStartMs: number): string {
  // Events of a batch fall into few buckets: reusing the last key per window saves formatting
  // an ISO date per event and window, the fold's largest single cost.
  const last = lastSortKeys.get(window);
  if (last?.bucketStartMs === bucketStartMs) return last.key;
  const key = `${window}${SEPARATOR}${new Date(bucketStartMs).toISOString()}`;
  lastSortKeys.set(window, { bucketStartMs, key });
  return key;
}

/** The last sort key built per window name. */
const lastSortKeys = new Map<string, { bucketStartMs: number; key: string }>();

/** Start of the bucket of size `sizeMs` that holds `timeMs`, aligned to the Unix epoch (UTC). */
export function bucketStart(timeMs: number, sizeMs: number): number {
  return Math.floor(timeMs / sizeMs) * sizeMs;
}
