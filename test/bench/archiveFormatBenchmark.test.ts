import { describe, expect, it } from 'vitest';
import { runArchiveFormatBenchmark } from '../../bench/archiveFormatBenchmark.js';
import { athenaQueryCost } from '../../bench/athenaQueryCost.js';
import { PRICES } from '../../bench/prices.js';
import { loadConfig } from '../../core/config/loadConfig.js';

const config = loadConfig();
const MIB = 1024 * 1024;

describe('athenaQueryCost', () => {
  /**
   * Athena pricing (https://aws.amazon.com/athena/pricing/): $5 per TB scanned,
   * rounded up to the nearest megabyte, with a 10 MB minimum per query.
   */
  it('bills at least the minimum, and whole MB above it', () => {
    const tenMB = athenaQueryCost(10 * MIB);
    expect(athenaQueryCost(1)).toBe(tenMB);
    expect(athenaQueryCost(10 * MIB + 1)).toBeCloseTo((tenMB * 11) / 10, 15);
    expect(athenaQueryCost(1024 ** 4)).toBeCloseTo(PRICES.athena.perTBScanned, 9);
  });
});

describe('runArchiveFormatBenchmark', () => {
  it('gives the same answer over gzip NDJSON and Parquet and scans at least 5× fewer bytes in Parquet', async () => {
    // Act: 20,000 events in the hour, 5.6 a second
    const result = await runArchiveFormatBenchmark({
      catalog: config.catalog,
      prefix: config.archive.prefix,
      events: 20_000,
    });

    // Assess
    expect(result.answers.parquet).toBe(result.answers.ndjsonGzip);
    expect(result.answers.parquet).toMatch(/^add_to_cart=\d+,page_view=\d+,purchase=\d+$/);
    const counts = result.answers.parquet.split(',').map((pair) => Number(pair.split('=')[1]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(20_000);
    expect(result.ndjsonGzip.scannedBytes).toBe(result.ndjsonGzip.storedBytes);
    expect(result.parquet.scannedBytes).toBeGreaterThan(result.parquet.columnChunkBytes);
    expect(result.parquet.scannedBytes).toBeLessThan(result.parquet.storedBytes);
    expect(result.parquet.scannedBytes * 5).toBeLessThanOrEqual(result.ndjsonGzip.scannedBytes);
  }, 60_000);
});
