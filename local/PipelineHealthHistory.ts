import type { ChaosCounters } from './chaos/chaosFaults.js';

/** One reading of the pipeline's running totals, as {@link PipelineHealthHistory} samples it. */
export interface PipelineHealthReading {
  /** Events this process put on the stream and had acknowledged (demo, `POST /events`), since start. */
  produced: number;
  /** Events the aggregate handler folded, since start; a replayed batch is folded (and counted here) again. */
  folded: number;
  /** Events refused, by reject code, since start. */
  rejectedByCode: Readonly<Record<string, number>>;
  /** Records sent to the on-failure destination, since start. */
  sentToOnFailure: number;
  /** Iterator lag of each shard, ms. */
  iteratorLagMsByShard: Readonly<Record<string, number>>;
  /** When the newest archive object was written, ms since the epoch; `undefined` before the first. */
  newestArchiveAtMs: number | undefined;
  /** Events folded into `__other__` because their metric's group cap is full, since start. */
  eventsOverGroupCap: number;
  /** Metrics whose group cap was found full. */
  fullGroupCaps: readonly string[];
  /** Faults injected so far; `undefined` unless the pipeline runs with chaos. */
  faults: Readonly<ChaosCounters> | undefined;
}

/** One second (or interval) of the history, as `GET /api/health/history` answers it. */
export interface PipelineHealthSample {
  /** End of the interval, ISO 8601 UTC. */
  at: string;
  /** Events produced per second over the interval; `null` for the first sample (no interval yet). */
  producedPerSecond: number | null;
  /** Events folded per second over the interval, replays included; `null` for the first sample. */
  foldedPerSecond: number | null;
  /** Events refused per second over the interval, by reject code (codes with none left out). */
  rejectedPerSecondByCode: Record<string, number>;
  /** Records sent to the on-failure destination since start (a running total). */
  sentToOnFailure: number;
  /** Iterator lag of each shard, ms. */
  iteratorLagMsByShard: Record<string, number>;
  /** Age of the newest archive object at the sample, ms; `null` while there is none. */
  archiveAgeMs: number | null;
  /** Events folded into `__other__` per second over the interval (group caps full). */
  eventsOverGroupCapPerSecond: number | null;
  /** Metrics whose group cap was found full. */
  fullGroupCaps: string[];
  /** Faults injected since start, by kind (running totals); only with chaos. */
  faults?: ChaosCounters;
}

/** Body of `GET /api/health/history`. */
export interface PipelineHealthHistoryAnswer {
  /** Time between two samples, ms. */
  intervalMs: number;
  /** Samples kept at most (the history spans `intervalMs × capacity`). */
  capacity: number;
  /** Whether faults are being injected (`streamfold start --chaos`). */
  chaos: boolean;
  /** Oldest first. */
  samples: PipelineHealthSample[];
  /** The running totals at the newest sample, to compare with the rates. */
  totals: {
    produced: number;
    folded: number;
    rejectedByCode: Record<string, number>;
    sentToOnFailure: number;
    eventsOverGroupCap: number;
    faults?: ChaosCounters;
  } | null;
}

/** Options of {@link PipelineHealthHistory}. */
export interface PipelineHealthHistoryOptions {
  /** Reads the pipeline's running totals now. */
  read: () => PipelineHealthReading;
  /** Time between two samples, ms. @default 1000 */
  intervalMs?: number;
  /** Samples kept. @default 900 (15 min of one-second samples) */
  capacity?: number;
  /** Current time, ms since the epoch. @default Date.now */
  now?: () => number;
}

/** One-second samples for the last 15 minutes: what an operator scrolls back over after an alert. */
const DEFAULT_INTERVAL_MS = 1_000;
const DEFAULT_CAPACITY = 900;

/**
 * A bounded, in-memory history of the pipeline's health: every `intervalMs`
 * it reads the running totals and keeps the rates over the interval (events
 * produced and folded per second, rejects per second by code, events over a
 * group cap per second) next to the levels (iterator lag per shard, archive
 * age, on-failure records, faults injected). At most `capacity` samples are
 * kept, so memory stays bounded however long the pipeline runs (900 samples
 * of a few hundred bytes each).
 *
 * @example
 * const history = new PipelineHealthHistory({ read: () => readTotals() });
 * history.start();
 * history.answer().samples.at(-1)?.foldedPerSecond;
 */
export class PipelineHealthHistory {
  readonly #read: () => PipelineHealthReading;
  readonly #now: () => number;
  public readonly intervalMs: number;
  public readonly capacity: number;
  readonly #samples: PipelineHealthSample[] = [];
  #previous: { atMs: number; reading: PipelineHealthReading } | undefined;
  #timer: NodeJS.Timeout | undefined;

  public constructor(options: PipelineHealthHistoryOptions) {
    const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    const capacity = options.capacity ?? DEFAULT_CAPACITY;
    if (!(intervalMs > 0))
      throw new Error(`intervalMs must be greater than 0 (given ${intervalMs})`);
    if (!Number.isInteger(capacity) || capacity < 2) {
      throw new Error(`capacity must be an integer of at least 2 (given ${capacity})`);
    }
    this.#read = options.read;
    this.#now = options.now ?? Date.now;
    this.intervalMs = intervalMs;
    this.capacity = capacity;
  }

  /** Samples every `intervalMs` until {@link stop}; the timer never keeps the process alive. */
  public start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.record(), this.intervalMs);
    this.#timer.unref();
  }

  /** Stops sampling; the samples kept stay readable. */
  public stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Takes one sample now (the timer calls it; tests call it directly). */
  public record(): void {
    const atMs = this.#now();
    const reading = this.#read();
    const previous = this.#previous;
    const seconds = previous ? (atMs - previous.atMs) / 1_000 : 0;
    const rate = (now: number, before: number | undefined) =>
      previous && seconds > 0 ? roundRate((now - (before ?? 0)) / seconds) : null;
    const rejectedPerSecondByCode: Record<string, number> = {};
    for (const [code, count] of Object.entries(reading.rejectedByCode)) {
      const perSecond = rate(count, previous?.reading.rejectedByCode[code]);
      if (perSecond) rejectedPerSecondByCode[code] = perSecond;
    }
    this.#samples.push({
      at: new Date(atMs).toISOString(),
      producedPerSecond: rate(reading.produced, previous?.reading.produced),
      foldedPerSecond: rate(reading.folded, previous?.reading.folded),
      rejectedPerSecondByCode,
      sentToOnFailure: reading.sentToOnFailure,
      iteratorLagMsByShard: { ...reading.iteratorLagMsByShard },
      archiveAgeMs:
        reading.newestArchiveAtMs === undefined
          ? null
          : Math.max(0, atMs - reading.newestArchiveAtMs),
      eventsOverGroupCapPerSecond: rate(
        reading.eventsOverGroupCap,
        previous?.reading.eventsOverGroupCap,
      ),
      fullGroupCaps: [...reading.fullGroupCaps],
      ...(reading.faults ? { faults: { ...reading.faults } } : {}),
    });
    if (this.#samples.length > this.capacity) this.#samples.shift();
    // A copy: the reader may hand out live objects that keep changing.
    this.#previous = {
      atMs,
      reading: {
        ...reading,
        rejectedByCode: { ...reading.rejectedByCode },
        faults: reading.faults ? { ...reading.faults } : undefined,
      },
    };
  }

  /** The samples kept, oldest first, and the totals at the newest one. */
  public answer(): PipelineHealthHistoryAnswer {
    const last = this.#previous?.reading;
    return {
      intervalMs: this.intervalMs,
      capacity: this.capacity,
      chaos: last?.faults !== undefined,
      samples: [...this.#samples],
      totals: last
        ? {
            produced: last.produced,
            folded: last.folded,
            rejectedByCode: { ...last.rejectedByCode },
            sentToOnFailure: last.sentToOnFailure,
            eventsOverGroupCap: last.eventsOverGroupCap,
            ...(last.faults ? { faults: { ...last.faults } } : {}),
          }
        : null,
    };
  }
}

/** Rates to 0.1 event/s: finer is noise at one-second samples. */
function roundRate(perSecond: number): number {
  return Math.round(perSecond * 10) / 10;
}
