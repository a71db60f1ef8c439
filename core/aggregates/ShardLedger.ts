/**
 * What the aggregate handler remembers about one shard, so that records the
 * event source mapping gives up on (sent to the on-failure destination after
 * `maxRetryAttempts` or `maxRecordAge`) can later be applied exactly once.
 *
 * The problem it solves: an aggregate item's per-shard watermark says "this
 * item has absorbed every record of the shard up to here". That holds while
 * the shard is read in order, but a give-up makes the mapping skip records,
 * some of which were already absorbed by some items (a batch fails part-way).
 * The next batch would move every watermark past the skipped records, and the
 * knowledge of which item absorbed which of them would be lost.
 *
 * So watermarks live in *lanes*. The handler notices a give-up when a batch
 * starts after a position it had not finished, records the skipped range as a
 * gap of the current lane, freezes that lane and continues in a new one. A
 * frozen lane's watermarks are the exact state at the give-up: the recovery
 * (`npm run redrive`) applies the given-up records in their gap's lane, where
 * the same watermark rule skips whatever was already absorbed.
 */
export interface ShardLedgerState {
  /** The lane live batches write to. */
  lane: number;
  /** Every lane, oldest first: where its records start and the highest record ever tried in it. */
  lanes: LaneSpan[];
  /** Ranges given up, each in the lane that was live when they were tried. */
  gaps: LedgerGap[];
  /**
   * The attempt in progress, or one that never finished (the invocation
   * died); `invokedAtMs` is when its invocation started.
   */
  open?: { from: string; to: string; token: string; invokedAtMs?: number };
  /** Lowest record a finished attempt reported failed; records from here on may be partly absorbed. */
  failedFrom?: string;
  /** Last record of the last attempt that finished with every record applied. */
  done?: string;
  /** Arrival time of `done`, ms since the epoch. */
  doneArrivalMs?: number;
  /** When the ledger was last written, ms since the epoch (wall clock of the writer). */
  updatedAtMs?: number;
}

/** The span of records a lane has seen, as sequence order keys (see `sequenceOrderKey`). */
export interface LaneSpan {
  lane: number;
  /** First record tried in the lane. */
  start: string;
  /** Highest record tried in the lane. */
  through: string;
}

/** Records given up in `lane`: `from` (inclusive) up to `before` (exclusive). */
export interface LedgerGap {
  lane: number;
  from: string;
  before: string;
}

/** Where one batch's (or one redriven batch's) deltas are written and what they are checked against. */
export interface WriteScope {
  shardId: string;
  /** Lane whose watermarks the writes move. */
  lane: number;
  /**
   * Older lanes whose watermarks must also lie before a delta's first record,
   * because records up to `through` may already have been absorbed there.
   */
  olderLanes: readonly LaneSpan[];
  /**
   * Live writes also move the item's lane marker and refuse to write an item
   * a newer lane has written: a timed-out invocation still running cannot add
   * records that a later lane already counted. Recovery writes do not.
   */
  live: boolean;
}

/** A scope for a shard without a ledger: lane 0, nothing older. */
export function laneZeroScope(shardId: string): WriteScope {
  return { shardId, lane: 0, olderLanes: [], live: true };
}

/** What the handler needs to know about the batch it starts. */
export interface AttemptStart {
  /** Order keys of the batch's first and last record. */
  first: string;
  last: string;
  now: number;
  /** `maxRecordAge` of the event source mapping, ms; `undefined` when records never expire. */
  maxRecordAgeMs: number | undefined;
  /** A random token naming this attempt. */
  token: string;
  /** When the invocation started, ms since the epoch. @default now */
  invokedAtMs?: number;
  /**
   * The least wall time in which a batch can be given up without leaving a
   * trace here: every attempt that cannot write the ledger waits this long
   * before it fails (see `DynamoAttemptTracker`), ms. @default no such bound
   */
  untracedGiveUpMs?: number;
}

/**
 * How close to `maxRecordAge` the last finished record may be before records
 * after it might have expired unseen: a quarter of `maxRecordAge`, at most a
 * minute, to cover clock skew between the poller and the function.
 */
export function recordAgeMarginMs(maxRecordAgeMs: number): number {
  return Math.min(60_000, maxRecordAgeMs / 4);
}

/** The decision taken when a batch starts. */
export interface AttemptPlan {
  state: ShardLedgerState;
  /** The attempt is stale (see {@link isStale}): `state` is the ledger unchanged. */
  stale?: true;
  /** The range that was given up, when this batch revealed one. */
  gap?: LedgerGap;
}

/**
 * Whether records between the last finished batch and a new one were looked
 * for: `unchecked` (not yet), `contiguous` (the stream holds none) or
 * `skipped` (the stream holds some, so they expired unseen).
 */
export type SkipCheck = 'unchecked' | 'contiguous' | 'skipped';

/** An empty ledger: lane 0, nothing tried yet. */
export function emptyLedger(): ShardLedgerState {
  return { lane: 0, lanes: [], gaps: [] };
}

/**
 * Whether records right after the last finished batch may have been given up
 * without a trace before `start`'s batch, so the caller must read the stream
 * after `done` and plan with the answer. Two ways exist:
 *
 * - `maxRecordAge` lets the event source mapping drop records without ever
 *   invoking the function; only records older than that can be dropped, and
 *   records after `done` arrived after it.
 * - a batch whose every attempt failed before it could write the ledger (the
 *   ledger unreachable); each such attempt waits `untracedGiveUpMs` before it
 *   fails, so that takes at least that long since the ledger's last write.
 */
export function mayHaveSkipped(state: ShardLedgerState, start: AttemptStart): boolean {
  if (
    state.open !== undefined ||
    state.failedFrom !== undefined ||
    state.done === undefined ||
    start.first <= state.done
  ) {
    return false;
  }
  const expired =
    start.maxRecordAgeMs !== undefined &&
    (state.doneArrivalMs === undefined ||
      state.doneArrivalMs <
        start.now - start.maxRecordAgeMs + recordAgeMarginMs(start.maxRecordAgeMs));
  const untraced =
    start.untracedGiveUpMs !== undefined &&
    (state.updatedAtMs === undefined || start.now - state.updatedAtMs >= start.untracedGiveUpMs);
  return expired || untraced;
}

/**
 * Whether `start` would only get in the way of what the ledger knows: an
 * invocation that began before the open attempt's (a timed-out invocation
 * still running), or a replay of records already finished. Such an attempt
 * writes in the current lane and leaves the ledger as it is.
 */
export function isStale(state: ShardLedgerState, start: AttemptStart): boolean {
  const invokedAt = start.invokedAtMs ?? start.now;
  // Only an attempt that starts no later than the open one can be its predecessor: one that
  // starts after it may be the next batch after a give-up (and clocks of containers differ).
  if (
    state.open?.invokedAtMs !== undefined &&
    invokedAt < state.open.invokedAtMs &&
    start.first <= state.open.from
  ) {
    return true;
  }
  // Every record finished: failures, if any, lie after `done`, and this batch cannot be given up
  // with anything an item has not counted.
  return state.done !== undefined && start.last <= state.done;
}

/**
 * Decides the lane of a batch that is about to be applied and records the
 * attempt. A batch that starts after a position the handler had not finished
 * (a failed or unfinished attempt), or after records that expired unseen,
 * means the records in between were given up: they become a gap of the
 * current lane and the batch opens a new lane.
 */
export function planAttempt(
  previous: ShardLedgerState,
  start: AttemptStart,
  skipCheck: SkipCheck = 'unchecked',
): AttemptPlan {
  if (isStale(previous, start)) return { state: previous, stale: true };
  const state = cloneLedger(previous);
  const unresolved = state.open?.from ?? state.failedFrom;
  let gap: LedgerGap | undefined;
  if (unresolved !== undefined && start.first > unresolved) {
    gap = { lane: state.lane, from: unresolved, before: start.first };
  } else if (skipCheck === 'skipped' && state.done !== undefined && start.first > state.done) {
    gap = { lane: state.lane, from: nextOrderKey(state.done), before: start.first };
  }
  if (gap) {
    state.gaps.push(gap);
    state.lane += 1;
    state.lanes.push({ lane: state.lane, start: start.first, through: start.last });
  } else {
    const span = state.lanes.find((l) => l.lane === state.lane);
    if (!span) state.lanes.push({ lane: state.lane, start: start.first, through: start.last });
    else if (start.last > span.through) span.through = start.last;
  }
  state.open = {
    from: start.first,
    to: start.last,
    token: start.token,
    invokedAtMs: start.invokedAtMs ?? start.now,
  };
  delete state.failedFrom;
  state.updatedAtMs = start.now;
  return gap ? { state, gap } : { state };
}

/**
 * Records how an attempt ended: every record applied (`failedFrom`
 * undefined), or records from `failedFrom` on reported failed. Returns
 * `undefined` when the attempt is no longer the open one (a newer attempt
 * took over), so a late finisher never overwrites what a newer one wrote.
 */
export function finishAttempt(
  previous: ShardLedgerState,
  token: string,
  outcome: { failedFrom: string | undefined; last: string; lastArrivalMs: number; now: number },
): ShardLedgerState | undefined {
  if (previous.open?.token !== token) return undefined;
  const state = cloneLedger(previous);
  delete state.open;
  if (outcome.failedFrom === undefined) {
    // `done` only moves forward: a finished replay of older records says nothing new.
    if (state.done === undefined || outcome.last > state.done) {
      state.done = outcome.last;
      state.doneArrivalMs = outcome.lastArrivalMs;
    }
  } else {
    state.failedFrom = outcome.failedFrom;
  }
  state.updatedAtMs = outcome.now;
  return state;
}

/**
 * Records a give-up that the handler has not seen yet (no batch has started
 * after it): the recovery of an on-failure object found records the ledger
 * does not place in any gap. The current lane is frozen with the gap and live
 * batches continue in a new lane. The gap starts at the unfinished position
 * (records before it were counted in full), or, when nothing is unfinished,
 * right after the last finished record (the object's records were never
 * tried: expired unseen, or tried while the ledger was unreachable).
 *
 * @returns the new state, or `undefined` when nothing needs recording (the records lie in a known gap, or were all finished)
 */
export function recordGiveUp(
  previous: ShardLedgerState,
  range: { first: string; last: string; lastArrivalMs: number | undefined; now: number },
): ShardLedgerState | undefined {
  if (gapOf(previous, range.first) !== undefined || gapOf(previous, range.last) !== undefined) {
    return undefined;
  }
  const unresolved = previous.open?.from ?? previous.failedFrom;
  let from: string | undefined;
  if (unresolved !== undefined) {
    if (range.last >= unresolved) from = unresolved;
  } else if (previous.done === undefined) {
    from = range.first;
  } else if (range.last > previous.done) {
    from = nextOrderKey(previous.done);
  }
  if (from === undefined) return undefined;
  const state = cloneLedger(previous);
  state.gaps.push({ lane: state.lane, from, before: nextOrderKey(range.last) });
  state.lane += 1;
  // The new lane has tried nothing yet; its span starts with its first batch.
  delete state.open;
  delete state.failedFrom;
  state.done = range.last;
  // Unknown arrival counts as long ago: records after it may expire unseen, so they are looked for.
  state.doneArrivalMs = range.lastArrivalMs ?? 0;
  state.updatedAtMs = range.now;
  return state;
}

/**
 * The lane the record at `order` belongs to: its gap's lane if it was given
 * up, else the newest lane that had started by then (the lane that was live
 * when it was tried), else the current lane.
 */
export function laneOfRecord(state: ShardLedgerState, order: string): number {
  const gap = gapOf(state, order);
  if (gap) return gap.lane;
  let lane: number | undefined;
  for (const span of state.lanes) {
    if (span.start <= order && (lane === undefined || span.lane > lane)) lane = span.lane;
  }
  return lane ?? state.lane;
}

/** The gap holding the record at `order`, if any. */
export function gapOf(state: ShardLedgerState, order: string): LedgerGap | undefined {
  return state.gaps.find((g) => g.from <= order && order < g.before);
}

/**
 * The scope that writes records of `lane`: its older lanes whose tried span
 * reaches `first` are checked as well.
 */
export function scopeOf(
  state: ShardLedgerState,
  shardId: string,
  lane: number,
  first: string,
  live: boolean,
): WriteScope {
  return {
    shardId,
    lane,
    olderLanes: state.lanes.filter((l) => l.lane < lane && l.through >= first),
    live,
  };
}

/** The order key of the sequence number right after the one `order` names. */
export function nextOrderKey(order: string): string {
  const next = (BigInt(order.slice(3)) + 1n).toString();
  return `${next.length.toString().padStart(3, '0')}${next}`;
}

function cloneLedger(state: ShardLedgerState): ShardLedgerState {
  return structuredClone(state);
}
