import { PRICES } from './prices.js';

const MIB = 1024 * 1024;
/** Bytes in the TB of Athena's price: taken as 2^40, the larger reading, so costs are not overstated. */
const TB = 1024 ** 4;

/**
 * What Athena bills for one SQL query that scans `bytesScanned`: rounded up
 * to the next MB, at least `PRICES.athena.minimumMBPerQuery`, at
 * `PRICES.athena.perTBScanned`.
 *
 * @example
 * athenaQueryCost(1); // 10 MB billed: 10 × 2^20 / 2^40 × $5 ≈ $0.0000477
 */
export function athenaQueryCost(bytesScanned: number): number {
  const billedMB = Math.max(Math.ceil(bytesScanned / MIB), PRICES.athena.minimumMBPerQuery);
  return ((billedMB * MIB) / TB) * PRICES.athena.perTBScanned;
}
