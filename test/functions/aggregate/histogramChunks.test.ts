import { describe, expect, it } from 'vitest';
import type { AggregateDelta } from '../../../core/aggregates/AggregateFold.js';
import { histogramBucketKey } from '../../../core/aggregates/aggregateHistogram.js';
import {
  type ChunkPart,
  chunkPartOf,
  chunkPartsOf,
  HISTOGRAM_CHUNK_WIDTH,
  histogramChunkOf,
  MAIN_CHUNK,
  MAX_BUCKETS_PER_UPDATE,
  MAX_CHUNKS_PER_UPDATE,
  packChunkParts,
} from '../../../functions/aggregate/histogramChunks.js';

function deltaWith(values: readonly number[]): AggregateDelta {
  const histogram = new Map<string, number>();
  for (const v of values) {
    const key = histogramBucketKey(v);
    histogram.set(key, (histogram.get(key) ?? 0) + 1);
  }
  return {
    pk: 'm#*',
    sk: '1m#2026-11-22T10:15:00.000Z',
    metric: 'm',
    group: '*',
    window: '1m',
    bucketStartMs: 0,
    expiresAt: undefined,
    count: values.length,
    sum: String(values.reduce((a, b) => a + b, 0)),
    min: Math.min(...values),
    max: Math.max(...values),
    hasValue: true,
    histogram,
    firstOrder: '0011',
    lastOrder: '0012',
  };
}

/** 5,000 values spread log-uniformly over 9 decades, 0.01 .. 1e7. */
const WIDE = Array.from({ length: 5_000 }, (_, i) => 0.01 * 10 ** ((9 * i) / 4_999));

describe('histogramChunkOf', () => {
  it('puts the zero bucket in the main chunk and other buckets by sign and index range', () => {
    expect(histogramChunkOf('z')).toBe(MAIN_CHUNK);
    expect(histogramChunkOf('p0')).toBe('p0');
    expect(histogramChunkOf(`p${HISTOGRAM_CHUNK_WIDTH - 1}`)).toBe('p0');
    expect(histogramChunkOf(`p${HISTOGRAM_CHUNK_WIDTH}`)).toBe('p1');
    expect(histogramChunkOf('p-1')).toBe('p-1');
    expect(histogramChunkOf(`n-${HISTOGRAM_CHUNK_WIDTH + 1}`)).toBe('n-2');
  });
});

describe('chunkPartsOf', () => {
  it('splits a wide delta into the main chunk and index-range chunks holding every bucket once', () => {
    // Prepare
    const delta = deltaWith([0, -3, ...WIDE]);
    // Act
    const parts = chunkPartsOf(delta);
    // Assess
    expect(parts[0]?.chunk).toBe(MAIN_CHUNK);
    expect(parts[0]?.buckets).toEqual([['z', 1]]);
    const all = parts.flatMap((p) => p.buckets);
    expect(new Map(all)).toEqual(delta.histogram);
    expect(all).toHaveLength(delta.histogram?.size ?? 0);
    for (const part of parts) {
      expect(part.buckets.length).toBeLessThanOrEqual(HISTOGRAM_CHUNK_WIDTH);
      for (const [key] of part.buckets) expect(histogramChunkOf(key)).toBe(part.chunk);
    }
    expect(parts.map((p) => p.chunk)).toEqual([
      MAIN_CHUNK,
      'n0',
      'p-2',
      'p-1',
      'p0',
      'p1',
      'p2',
      'p3',
      'p4',
    ]);
  });

  it('gives a chunk the same buckets whatever else the delta holds', () => {
    const alone = chunkPartOf(deltaWith(WIDE.slice(0, 100)), 'p-2');
    const among = chunkPartOf(deltaWith(WIDE.slice(0, 100).concat(WIDE.slice(3_000))), 'p-2');
    expect(among).toEqual(alone);
    expect(chunkPartOf(deltaWith([1_000]), 'p-2')).toBeUndefined();
  });
});

describe('packChunkParts', () => {
  it('packs chunks in order within the bucket and chunk limits of one update', () => {
    // Prepare
    const parts = chunkPartsOf(deltaWith(WIDE));
    // Act
    const updates = packChunkParts(parts);
    // Assess
    expect(updates.flat()).toEqual(parts);
    expect(updates.length).toBeGreaterThan(1);
    for (const update of updates) {
      expect(update.length).toBeLessThanOrEqual(MAX_CHUNKS_PER_UPDATE);
      expect(update.flatMap((p) => p.buckets).length).toBeLessThanOrEqual(MAX_BUCKETS_PER_UPDATE);
    }
  });

  it('keeps a small delta in one update', () => {
    const parts = chunkPartsOf(deltaWith([1, 2, 3, 40, 500]));
    expect(packChunkParts(parts)).toEqual([parts]);
  });

  it('starts a new update after the most chunks one update may carry', () => {
    const parts: ChunkPart[] = Array.from({ length: MAX_CHUNKS_PER_UPDATE + 1 }, (_, i) => ({
      chunk: `p${i}`,
      buckets: [[`p${i * HISTOGRAM_CHUNK_WIDTH}`, 1]],
    }));
    expect(packChunkParts(parts).map((u) => u.length)).toEqual([MAX_CHUNKS_PER_UPDATE, 1]);
  });
});
