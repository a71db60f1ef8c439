/**
 * Runs row 1 (the handler's CPU path and the exact-sum work in it) in this
 * process and prints the results as one JSON line. `bench/main.ts` starts it
 * as a fresh process (see {@link measureHandlerInFreshProcess}): the pipeline
 * rows before it leave the bench process with a large heap and stopped threads
 * to clean up, which would be counted as the handler's CPU time.
 *
 * Usage: node --import tsx bench/handlerBenchmarkProcess.ts <events> <repetitions>
 */
import { loadConfig } from '../core/config/loadConfig.js';
import { runExactSumBenchmark } from './exactSumBenchmark.js';
import { runHandlerBenchmark } from './handlerBenchmark.js';

const [events, repetitions] = process.argv.slice(2).map(Number);
if (!Number.isInteger(events) || !Number.isInteger(repetitions)) {
  throw new Error('usage: handlerBenchmarkProcess.ts <events> <repetitions>');
}
const config = loadConfig();
const sizes = { config, events: events as number, repetitions: repetitions as number };
const handler = await runHandlerBenchmark(sizes);
const exactSums = runExactSumBenchmark(sizes);
process.stdout.write(`${JSON.stringify({ handler, exactSums })}\n`);
