import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ExactSumBenchmarkResult } from './exactSumBenchmark.js';
import type { HandlerBenchmarkResult } from './handlerBenchmark.js';

const run = promisify(execFile);

/**
 * Row 1 measured in a fresh Node.js process (`bench/handlerBenchmarkProcess.ts`),
 * so nothing the other rows left behind in the bench process (heap, threads)
 * is counted as the handler's CPU time.
 */
export async function measureHandlerInFreshProcess(options: {
  events: number;
  repetitions: number;
}): Promise<{ handler: HandlerBenchmarkResult; exactSums: ExactSumBenchmarkResult }> {
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const script = fileURLToPath(new URL('./handlerBenchmarkProcess.ts', import.meta.url));
  const { stdout } = await run(
    process.execPath,
    ['--import', tsx, script, String(options.events), String(options.repetitions)],
    { maxBuffer: 1024 * 1024 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
    handler: HandlerBenchmarkResult;
    exactSums: ExactSumBenchmarkResult;
  };
}
