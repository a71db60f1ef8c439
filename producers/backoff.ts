/**
 * Capped exponential backoff with full jitter: a random delay between 0 and
 * `min(maxMs, baseMs * 2^(attempt-1))`. Full jitter spreads retries of many
 * producers apart, which is what relieves a throttled shard.
 *
 * @param attempt the retry number, from 1
 */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
