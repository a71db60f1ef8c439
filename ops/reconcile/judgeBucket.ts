/** The time range a reconcile run judges, ms since the epoch. */
export interface JudgedRange {
  /** Buckets must start at or after this. */
  sinceMs: number;
  /** Buckets must end at or before this. */
  untilMs: number;
  /**
   * Buckets must end at or before this to be complete: now minus the archive's
   * buffering interval minus a margin. Records newer than that may still sit
   * in Firehose's buffer, aggregated but not archived yet.
   */
  completeBeforeMs: number;
}

/** Whether a bucket is judged, or why not. */
export type BucketJudgement = 'judged' | 'cut-by-range' | 'not-complete';

/**
 * Judges a bucket only when it lies wholly inside the range and ended long
 * enough ago that every record of it has reached the archive.
 *
 * @example
 * judgeBucket(Date.parse('2026-11-22T10:00Z'), 60_000, range); // 'judged'
 */
export function judgeBucket(startMs: number, sizeMs: number, range: JudgedRange): BucketJudgement {
  const endMs = startMs + sizeMs;
  if (startMs < range.sinceMs || endMs > range.untilMs) return 'cut-by-range';
  if (endMs > range.completeBeforeMs) return 'not-complete';
  return 'judged';
}
