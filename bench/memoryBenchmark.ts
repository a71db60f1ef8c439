import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What one fresh process used to fold a 6 MB batch. */
export interface PeakHeapResult {
  variant: 'streamfold' | 'naive';
  events: number;
  payloadBytes: number;
  heapBeforeBytes: number;
  /** Largest heap seen while folding (sampled at every store call and every 1 ms timer tick). */
  heapMaxBytes: number;
  /** Peak resident set of the whole process (`maxRSS`): an upper bound of the heap's peak. */
  peakRssBytes: number;
}

/** Runs `bench/handlerPeakHeap.ts` in a fresh Node.js process for `variant`. */
export async function measurePeakHeap(variant: 'streamfold' | 'naive'): Promise<PeakHeapResult> {
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const script = fileURLToPath(new URL('./handlerPeakHeap.ts', import.meta.url));
  const { stdout } = await run(
    process.execPath,
    ['--import', tsx, '--expose-gc', script, variant],
    { maxBuffer: 1024 * 1024 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as PeakHeapResult;
}
