import type { PipelineStatus } from '../local/startLocalPipeline.js';

/** What {@link formatStatusLine} shows besides the counters. */
export interface StatusLineOptions {
  /** Columns available; segments that do not fit are left out, least important first. */
  width: number;
  /** Whether the demo producer runs: its count is shown only then. */
  demo: boolean;
  /** Whether faults are injected (`start --chaos`): their count is shown then. */
  chaos: boolean;
}

/** Between segments. */
const SEPARATOR = ' · ';

/**
 * The status line of `streamfold start`, at most `width` columns. Its names
 * say what each count is, so none reads as a double count: `folded` counts
 * every event the handler folded, replays of retried batches included (the
 * table counts each once); `demo sent` counts only the demo producer's events,
 * not those of a load test or another producer.
 *
 * Segments come in order of importance and are dropped from the end when the
 * terminal is narrow, so the line never wraps (a wrapped line is left behind
 * by every redraw).
 *
 * @example
 * formatStatusLine(status, { width: 80, demo: true, chaos: false });
 * // 'folded 7025 events (replays incl.) · lag 0 ms · rejected 0 · on-failure 0 records'
 */
export function formatStatusLine(status: PipelineStatus, options: StatusLineOptions): string {
  const faults = Object.values(status.faults).reduce((sum, count) => sum + count, 0);
  const segments = [
    `folded ${status.aggregated} events (replays incl.)`,
    `lag ${status.iteratorLagMs} ms`,
    ...(options.chaos ? [`faults injected ${faults}`] : []),
    `rejected ${status.rejected}`,
    `on-failure ${status.sentToOnFailure} records`,
    `archived ${status.archivedEvents} events in ${status.archiveObjects} objects`,
    // Shown only once a record failed: with 'json' there is no conversion.
    ...(status.archiveConversionFailures > 0
      ? [`not convertible to Parquet ${status.archiveConversionFailures} records`]
      : []),
    ...(options.demo ? [`demo sent ${status.produced}`] : []),
    `direct PUT archived ${status.directPutArchivedEvents}`,
  ];
  const width = Math.max(1, options.width);
  let line = '';
  for (const segment of segments) {
    const next = line === '' ? segment : `${line}${SEPARATOR}${segment}`;
    if (next.length > width) break;
    line = next;
  }
  // Even the first segment is too wide: cut it rather than wrap.
  if (line === '') line = `${(segments[0] ?? '').slice(0, width - 1)}…`;
  return line;
}
