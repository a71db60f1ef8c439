import { performance } from 'node:perf_hooks';

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The value at quantile `q` (0..1) of `values`, nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new RangeError('quantile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Runs `task` `repetitions` times in sequence and returns each run's result. */
export async function repeat<T>(
  repetitions: number,
  task: (run: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  for (let run = 0; run < repetitions; run++) results.push(await task(run));
  return results;
}

/** Wall-clock seconds `task` takes, with its result. */
export async function timed<T>(task: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const started = performance.now();
  const result = await task();
  return { seconds: (performance.now() - started) / 1_000, result };
}
