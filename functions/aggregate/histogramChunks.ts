import type { AggregateDelta } from '../../core/aggregates/AggregateFold.js';
import {
  AGGREGATE_BUCKET_INDEX_RANGE,
  parseHistogramBucketKey,
} from '../../core/aggregates/aggregateHistogram.js';

/**
 * The chunk of count, sum, min, max, the item's descriptive attributes and the
 * zero bucket; guarded by the per-shard watermark `wm:<shardId>`.
 */
export const MAIN_CHUNK = 'main';

/**
 * Bucket indexes per histogram chunk. Each chunk is applied under its own
 * per-shard watermark, so a chunk must fit one UpdateItem on its own: 200
 * ADD actions of ~13 characters (`#b199 :b199, `) make ~2.6 KB, inside the
 * 4 KB expression limit with room for the main chunk's attributes, and stay
 * under the 300 operators an update expression may hold.
 */
export const HISTOGRAM_CHUNK_WIDTH = 200;

/** Most bucket ADD actions packed into one UpdateItem (see {@link HISTOGRAM_CHUNK_WIDTH}). */
export const MAX_BUCKETS_PER_UPDATE = 240;

/** Most chunks (and so watermark conditions) packed into one UpdateItem. */
export const MAX_CHUNKS_PER_UPDATE = 8;

/** The part of a delta one chunk covers: its id and its bucket counts by bucket key. */
export interface ChunkPart {
  chunk: string;
  buckets: readonly (readonly [key: string, count: number])[];
}

/**
 * The chunk a histogram bucket belongs to: the main chunk for the zero
 * bucket, else the sign and `floor(index / HISTOGRAM_CHUNK_WIDTH)`, for
 * example `p0` for indexes 0..199 of positive values, `n-1` for indexes
 * -200..-1 of negative values. The mapping depends on the bucket alone, never
 * on the delta, so a bucket is guarded by the same watermark in every batch
 * and every replay.
 */
export function histogramChunkOf(bucketKey: string): string {
  const { sign, index } = parseHistogramBucketKey(bucketKey);
  if (sign === 0) return MAIN_CHUNK;
  return `${sign > 0 ? 'p' : 'n'}${Math.floor(index / HISTOGRAM_CHUNK_WIDTH)}`;
}

/**
 * Splits a delta into its chunk parts: the main chunk first (every delta has
 * a count), then each histogram chunk it has buckets in, negative chunks
 * before positive ones and by chunk number, so the split is deterministic.
 */
export function chunkPartsOf(delta: AggregateDelta): ChunkPart[] {
  const byChunk = new Map<string, [string, number][]>([[MAIN_CHUNK, []]]);
  for (const [key, count] of delta.histogram ?? []) {
    const chunk = histogramChunkOf(key);
    let buckets = byChunk.get(chunk);
    if (!buckets) {
      buckets = [];
      byChunk.set(chunk, buckets);
    }
    buckets.push([key, count]);
  }
  return [...byChunk]
    .map(([chunk, buckets]) => ({ chunk, buckets }))
    .sort((a, b) => chunkRank(a.chunk) - chunkRank(b.chunk));
}

/** The part of `delta` that `chunk` covers, or `undefined` if it has none. */
export function chunkPartOf(delta: AggregateDelta, chunk: string): ChunkPart | undefined {
  if (chunk === MAIN_CHUNK) return chunkPartsOf(delta)[0];
  return chunkPartsOf(delta).find((part) => part.chunk === chunk);
}

/**
 * Packs chunk parts, in order, into as few UpdateItems as the limits allow:
 * at most {@link MAX_BUCKETS_PER_UPDATE} buckets and
 * {@link MAX_CHUNKS_PER_UPDATE} chunks per update. Which chunks share an
 * update does not matter for exactly-once: each keeps its own watermark
 * condition inside the update.
 */
export function packChunkParts(parts: readonly ChunkPart[]): ChunkPart[][] {
  const updates: ChunkPart[][] = [];
  let current: ChunkPart[] = [];
  let buckets = 0;
  for (const part of parts) {
    const full =
      buckets + part.buckets.length > MAX_BUCKETS_PER_UPDATE ||
      current.length >= MAX_CHUNKS_PER_UPDATE;
    if (current.length > 0 && full) {
      updates.push(current);
      current = [];
      buckets = 0;
    }
    current.push(part);
    buckets += part.buckets.length;
  }
  if (current.length > 0) updates.push(current);
  return updates;
}

/** Most chunks of either sign, from the bounded index range. */
const CHUNKS_PER_SIGN =
  Math.floor(AGGREGATE_BUCKET_INDEX_RANGE.max / HISTOGRAM_CHUNK_WIDTH) -
  Math.floor(AGGREGATE_BUCKET_INDEX_RANGE.min / HISTOGRAM_CHUNK_WIDTH) +
  1;

/** Sort rank of a chunk id: main, then negative chunks, then positive ones, each by number. */
function chunkRank(chunk: string): number {
  if (chunk === MAIN_CHUNK) return Number.NEGATIVE_INFINITY;
  const number = Number(chunk.slice(1));
  return chunk[0] === 'n' ? number : CHUNKS_PER_SIGN * 2 + number;
}
