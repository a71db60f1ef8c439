/** What a phase of the end-to-end benchmark did, as far as the judgement needs. */
export interface PhaseOutcome {
  /** The rate the load generator was asked for, events/s. */
  offeredPerSecond: number;
  /** The rate it managed to hand events to the producer, events/s. */
  putPerSecond: number;
  /** Events put but not yet folded into the aggregates when production stopped. */
  backlogAtEnd: number;
  /** Seconds from the end of production until every event was folded; undefined if it did not drain. */
  drainSeconds: number | undefined;
}

/** The bounds a sustained rate stays within. */
export interface SustainedLimits {
  /** Largest backlog at the end of the phase, in seconds of offered traffic. */
  maxBacklogSeconds: number;
  /** Longest drain after production stops, s. */
  maxDrainSeconds: number;
  /** Smallest share of the offered rate the generator must have put (0..1). */
  minPutShare: number;
}

/** Whether a phase was sustained and, when not, which bound it broke. */
export interface SustainedJudgement {
  sustained: boolean;
  /** `'sustained'`, or every bound that was broken, e.g. `'backlog 4.2 s > 3 s'`. */
  reason: string;
}

/**
 * ≤ 3 s of traffic outstanding: the 1 s batching window, the handler's time
 * on a batch and the producer's linger leave about 1.5 s in flight at any
 * rate, so a rate the pipeline keeps up with stays well under it, while one it
 * does not keep up with grows its backlog through the whole phase.
 */
export const SUSTAINED_LIMITS: SustainedLimits = {
  maxBacklogSeconds: 3,
  maxDrainSeconds: 10,
  minPutShare: 0.95,
};

/**
 * Judges a phase by a bounded backlog rather than by a folded rate: over a
 * short window the folded count swings with the batching window (a whole
 * window's batch lands at once), while the backlog of a rate the pipeline
 * keeps up with stays bounded and that of a rate it does not grows without
 * bound. A phase is sustained when the generator put at least `minPutShare`
 * of the offered rate (the producer was not held back by the stream), the
 * events not yet folded when production stopped were at most
 * `maxBacklogSeconds` of traffic, and they were all folded within
 * `maxDrainSeconds`.
 *
 * @throws {RangeError} when `offeredPerSecond` is not above 0
 *
 * @example
 * judgeSustained({ offeredPerSecond: 30_000, putPerSecond: 29_950, backlogAtEnd: 41_000, drainSeconds: 1.6 });
 * // { sustained: true, reason: 'sustained' }
 */
export function judgeSustained(
  phase: PhaseOutcome,
  limits: SustainedLimits = SUSTAINED_LIMITS,
): SustainedJudgement {
  if (!(phase.offeredPerSecond > 0)) {
    throw new RangeError(`offeredPerSecond must be above 0 (given ${phase.offeredPerSecond})`);
  }
  const broken: string[] = [];
  if (phase.putPerSecond < limits.minPutShare * phase.offeredPerSecond) {
    broken.push(
      `put ${((100 * phase.putPerSecond) / phase.offeredPerSecond).toFixed(1)} % of the offered rate < ${Math.round(100 * limits.minPutShare)} %`,
    );
  }
  const backlogSeconds = phase.backlogAtEnd / phase.offeredPerSecond;
  if (backlogSeconds > limits.maxBacklogSeconds) {
    broken.push(`backlog ${backlogSeconds.toFixed(1)} s > ${limits.maxBacklogSeconds} s`);
  }
  if (phase.drainSeconds === undefined) {
    broken.push('did not drain');
  } else if (phase.drainSeconds > limits.maxDrainSeconds) {
    broken.push(`drain ${phase.drainSeconds.toFixed(1)} s > ${limits.maxDrainSeconds} s`);
  }
  return broken.length === 0
    ? { sustained: true, reason: 'sustained' }
    : { sustained: false, reason: broken.join('; ') };
}
