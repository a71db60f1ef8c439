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
  /**
   * Event times, ms, inclusive intervals, that events held in merged archive
   * lines have (`ArchiveReadSummary.mergedEventTimes`). The archive cannot
   * show those events, while the table may rightly count them, so a bucket
   * that overlaps one is not judged: a repair would subtract them.
   *
   * @default none
   */
  mergedEventTimes?: readonly (readonly [number, number])[];
}

/** Whether a bucket is judged, or why not. */
export type BucketJudgement = 'judged' | 'cut-by-range' | 'not-complete' | 'merged-lines';

/**
 * Judges a bucket only when it lies wholly inside the range, ended long
 * enough ago that every record of it has reached the archive, and can hold
 * none of the events of a merged archive line.
 *
 * @example
 * judgeBucket(Date.parse('2026-11-22T10:00Z'), 60_000, range); // 'judged'
 */
export function judgeBucket(startMs: number, sizeMs: number, range: JudgedRange): BucketJudgement {
  const endMs = startMs + sizeMs;
  if (startMs < range.sinceMs || endMs > range.untilMs) return 'cut-by-range';
  if (endMs > range.completeBeforeMs) return 'not-complete';
  // A bucket holds the times startMs <= t < endMs.
  const merged = range.mergedEventTimes?.some(([from, to]) => from < endMs && to >= startMs);
  if (merged) return 'merged-lines';
  return 'judged';
}
