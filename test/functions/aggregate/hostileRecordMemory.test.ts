import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MAX_REJECT_BYTES_PER_BATCH } from '../../../functions/aggregate/RejectCollector.js';

const run = promisify(execFile);

/** The aggregate function's memory, MB. */
const FUNCTION_MEMORY_MB = 512;
/** Heap the handler may use on any one record, MB: half the function's memory. */
const MAX_HEAP_MB = 256;

interface HostileRun {
  lines: number;
  eventsRejected: number;
  eventsRejectedByCode: Record<string, number>;
  failedRecords?: number;
  rejectEntries: number;
  rejectsObjectBytes: number;
  heapBeforeBytes: number;
  heapAtWriteBytes: number;
  peakRssBytes: number;
}

/** Runs the handler on one hostile record in a process whose heap stops at 256 MB. */
async function runHostile(shape: string): Promise<HostileRun> {
  const { stdout } = await run(
    process.execPath,
    [
      `--max-old-space-size=${MAX_HEAP_MB}`,
      '--import',
      'tsx',
      'bench/hostileRecordPeakHeap.ts',
      shape,
    ],
    { cwd: process.cwd(), timeout: 120_000 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as HostileRun;
}

describe('the aggregate handler on one hostile 1 MiB record', () => {
  it.each([
    // 524,288 lines refused with the same reason: one entry counts them all.
    { shape: 'newlines', maxEntries: 1 },
    // ~105,000 lines, every reason different: quoted until the batch's budget is spent.
    { shape: 'distinct', maxEntries: 10_000 },
    { shape: 'one-line', maxEntries: 1 },
  ])(
    'stays under 256 MB of heap and writes a bounded rejects object for $shape',
    async ({ shape, maxEntries }) => {
      const result = await runHostile(shape);

      // Every line is counted, by code, though few are written one by one.
      expect(result.failedRecords ?? 0).toBe(0);
      expect(result.eventsRejected).toBe(result.lines);
      expect(result.eventsRejectedByCode).toEqual({ malformed_json: result.lines });
      expect(result.rejectEntries).toBeGreaterThanOrEqual(1);
      expect(result.rejectEntries).toBeLessThanOrEqual(maxEntries);
      // Escaping can grow the budget's bytes a little in JSON; never by the record's size.
      expect(result.rejectsObjectBytes).toBeLessThanOrEqual(2 * MAX_REJECT_BYTES_PER_BATCH);
      expect(result.heapAtWriteBytes - result.heapBeforeBytes).toBeLessThan(64 * 1024 * 1024);
      // The heap is held to 256 MB by the flag (above it the process crashes); the resident
      // set, garbage not yet collected and tsx's compiler included, stays inside the function.
      expect(result.peakRssBytes).toBeLessThan(FUNCTION_MEMORY_MB * 1024 * 1024);
    },
    150_000,
  );
});
