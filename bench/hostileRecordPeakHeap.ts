/**
 * Run as its own process: folds one hostile 1 MiB Kinesis record with
 * in-memory dependencies and prints, as JSON, the heap in use when the rejects
 * are written (their largest point), the peak resident set, the bytes of the
 * rejects object as `S3RejectsSink` would write it, and the counts. Run it with
 * `--max-old-space-size=256` to make a handler that needs more heap crash:
 * `node --max-old-space-size=256 --import tsx bench/hostileRecordPeakHeap.ts newlines|distinct|one-line`.
 */
import { aggregationSettingsOf, compileMetrics } from '../core/aggregates/compileMetrics.js';
import { loadConfig } from '../core/config/loadConfig.js';
import { aggregateKinesisBatch } from '../functions/aggregate/aggregateKinesisBatch.js';
import type { RejectEntry } from '../functions/aggregate/RejectsSink.js';
import { inMemoryDependencies } from './inMemoryFakes.js';
import { BENCH_SHARD_ID } from './kinesisBatch.js';

/** Kinesis's largest record data, bytes. */
const RECORD_BYTES = 1024 * 1024;

/** The record data of each hostile shape, and how many lines it holds. */
const SHAPES: Record<string, () => { data: Buffer; lines: number }> = {
  // `x\n` again and again: 524,288 lines refused with the same reason.
  newlines: () => ({ data: Buffer.alloc(RECORD_BYTES, 'x\n'), lines: RECORD_BYTES / 2 }),
  // Invalid JSON, every line different, so every reason differs too.
  distinct: () => {
    const lines: string[] = [];
    let bytes = 0;
    while (bytes < RECORD_BYTES - 16) {
      const line = `bad-${lines.length}`;
      lines.push(line);
      bytes += line.length + 1;
    }
    return { data: Buffer.from(`${lines.join('\n')}\n`), lines: lines.length };
  },
  // One line of 1 MiB.
  'one-line': () => ({ data: Buffer.alloc(RECORD_BYTES, 'x'), lines: 1 }),
};

const shape = process.argv[2] ?? '';
const make = SHAPES[shape];
if (!make) {
  throw new Error(`shape must be one of ${Object.keys(SHAPES).join(', ')} (given "${shape}")`);
}
const now = Date.parse('2026-11-22T10:30:00.000Z');
const { data, lines } = make();
const event = {
  Records: [
    {
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'hostile',
        sequenceNumber: '49600000000000000000000000000000000000000000000000000001',
        data: data.toString('base64'),
        approximateArrivalTimestamp: now / 1_000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${BENCH_SHARD_ID}:1`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/bench',
      awsRegion: 'us-east-1',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/bench',
    },
  ],
};
globalThis.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const deps = inMemoryDependencies(compileMetrics(aggregationSettingsOf(loadConfig())), now);
let heapAtWrite = 0;
let objectBytes = 0;
let entries = 0;
deps.rejects.write = async (written: readonly RejectEntry[]) => {
  // The body S3RejectsSink puts, built the same way, while the entries are still held.
  const body = `${written.map((entry) => JSON.stringify(entry)).join('\n')}\n`;
  heapAtWrite = process.memoryUsage().heapUsed;
  objectBytes = Buffer.byteLength(body);
  entries = written.length;
};
const { summary } = await aggregateKinesisBatch(event, deps);
process.stdout.write(
  `${JSON.stringify({
    shape,
    recordBytes: data.length,
    lines,
    eventsRejected: summary.eventsRejected,
    failedRecords: summary.failedRecords,
    eventsRejectedByCode: summary.eventsRejectedByCode,
    rejectEntries: entries,
    rejectsObjectBytes: objectBytes,
    heapBeforeBytes: heapBefore,
    heapAtWriteBytes: heapAtWrite,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  })}\n`,
);
