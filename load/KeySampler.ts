/** How partition keys are drawn: evenly, or Zipf-distributed with exponent `s` (hot keys). */
export type KeySkew = { kind: 'uniform' } | { kind: 'zipf'; exponent: number };

/**
 * Parses `uniform` or `zipf:<exponent>` (exponent > 0, e.g. `zipf:1.1`).
 *
 * @throws {Error} naming the value when it is neither
 */
export function parseKeySkew(text: string): KeySkew {
  if (text === 'uniform') return { kind: 'uniform' };
  const match = /^zipf:(\d+(?:\.\d+)?)$/.exec(text);
  const exponent = match ? Number(match[1]) : Number.NaN;
  if (!(exponent > 0)) {
    throw new Error(
      `--skew must be "uniform" or "zipf:<exponent above 0>" such as zipf:1.1 (given "${text}")`,
    );
  }
  return { kind: 'zipf', exponent };
}

/**
 * Draws key numbers 0..keys-1: key `k` with probability proportional to
 * `1 / (k+1)^s` for Zipf, so key 0 is the hottest. Sampling is a binary
 * search over the precomputed cumulative distribution: O(log keys).
 *
 * @example
 * const next = createKeySampler(10_000, parseKeySkew('zipf:1.1'));
 * const partitionKey = `key-${next()}`;
 */
export function createKeySampler(
  keys: number,
  skew: KeySkew,
  random: () => number = Math.random,
): () => number {
  if (!(Number.isInteger(keys) && keys > 0)) {
    throw new Error(`--keys must be a whole number above 0 (given ${keys})`);
  }
  if (skew.kind === 'uniform') return () => Math.floor(random() * keys);
  const cumulative = new Float64Array(keys);
  let total = 0;
  for (let k = 0; k < keys; k++) {
    total += 1 / (k + 1) ** skew.exponent;
    cumulative[k] = total;
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = keys - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((cumulative[middle] as number) < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}
