import { LogHistogram } from '../core/stats/LogHistogram.js';

/** A running total read at a time: `count` things had happened by `at` (ms, any common clock). */
export interface CountSample {
  at: number;
  count: number;
}

/**
 * Latencies by matching counts: the k-th event out is taken to be the k-th
 * event in, so its latency is the time of the first `outs` sample whose count
 * reached k minus the time the k-th event went in. The time of the k-th event
 * in is interpolated linearly between the two `ins` samples around it (the
 * generator puts at an even pace between its readings). Exact for one FIFO
 * lane; over several shards it is an average. Events out beyond the last
 * event in (more folded than put) are not counted.
 *
 * Both series must be in time order with counts that never fall.
 *
 * @returns a histogram of the latencies, ms (quantiles within 1 %)
 *
 * @example
 * const latencies = matchCountLatencies(puts, folds);
 * latencies.quantile(0.99);
 */
export function matchCountLatencies(
  ins: readonly CountSample[],
  outs: readonly CountSample[],
): LogHistogram {
  const latencies = new LogHistogram();
  let inIndex = 0;
  let matched = 0;
  for (const out of outs) {
    while (matched < out.count) {
      const k = matched + 1;
      while (inIndex < ins.length && (ins[inIndex] as CountSample).count < k) inIndex++;
      const after = ins[inIndex];
      if (!after) return latencies;
      const before = ins[inIndex - 1] ?? { at: after.at, count: 0 };
      const span = after.count - before.count;
      const inAt =
        span > 0 ? before.at + ((after.at - before.at) * (k - before.count)) / span : after.at;
      latencies.record(Math.max(0, out.at - inAt));
      matched = k;
    }
  }
  return latencies;
}
