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
  return `${window}${SEPARATOR}${new Date(bucketStartMs).toISOString()}`;
}

/** Start of the bucket of size `sizeMs` that holds `timeMs`, aligned to the Unix epoch (UTC). */
export function bucketStart(timeMs: number, sizeMs: number): number {
  return Math.floor(timeMs / sizeMs) * sizeMs;
}
