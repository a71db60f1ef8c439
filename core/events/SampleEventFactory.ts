import type { StreamfoldEvent } from './envelope.js';

/** What a generator of sample events is given. */
export interface SampleEventOptions {
  /** The events' `source`. */
  source?: string;
  /** Random numbers in [0, 1); a seeded one makes the stream reproducible. @default Math.random */
  random?: () => number;
  /** The clock giving each event's `time`, ms since the epoch. @default Date.now */
  now?: () => number;
}

/**
 * Makes a generator of plausible events of the configuration's catalog: the
 * demo producer of `streamfold start` and the load test send what it makes.
 * The configuration declares it as `sampleEvents`, next to its `catalog`.
 */
export type SampleEventFactory = (options?: SampleEventOptions) => () => StreamfoldEvent;
