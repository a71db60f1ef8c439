/**
 * `streamfold bench` (`npm run bench`): measures streamfold against naive baselines in the same
 * run, on this machine, and writes `bench/results.json` and `bench/results.md`.
 */
import { writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { StreamfoldConfig } from '../core/config/configSchema.js';
import { loadConfig } from '../core/config/loadConfig.js';
import { parseDuration } from '../core/duration.js';
import { createAwsClients } from '../local/awsClients.js';
import { startEmulators } from '../local/emulators/startEmulators.js';
import {
  type ArchiveFormatBenchmarkResult,
  ONE_COLUMN_QUERY_COLUMN,
  runArchiveFormatBenchmark,
} from './archiveFormatBenchmark.js';
import type { BenchFigure } from './BenchFigure.js';
import { BENCH_EVENT_BYTES, paddedEventGenerator } from './benchEvents.js';
import { type BundleResult, runBundleBenchmark } from './bundleBenchmark.js';
import { type CostBreakdown, costPerMillionEvents, type PipelineUnits } from './costModel.js';
import {
  type DynamoWriteBenchmarkResult,
  runDynamoWriteBenchmark,
  WRITE_WORKLOAD,
} from './dynamoWriteBenchmark.js';
import type { ExactSumBenchmarkResult } from './exactSumBenchmark.js';
import { type FirehoseBilling, firehoseBillingOf, readStreamRecords } from './firehoseBilling.js';
import { formatTable } from './formatTable.js';
import { BAD_LINE_SHARE, type HandlerBenchmarkResult } from './handlerBenchmark.js';
import { SUSTAINED_LIMITS } from './judgeSustained.js';
import { machineInfo } from './machineInfo.js';
import { median } from './measure.js';
import { measureHandlerInFreshProcess } from './measureHandlerInFreshProcess.js';
import { measurePeakHeap, type PeakHeapResult } from './memoryBenchmark.js';
import type { BenchArgs, Part } from './parseBenchArgs.js';
import {
  type PipelineBenchmarkResult,
  type PipelineCpuShares,
  type RssByProcess,
  runPipelineBenchmark,
} from './pipelineBenchmark.js';
import { PRICES } from './prices.js';
import { type ProducerBenchmarkRow, runProducerBenchmark } from './producerBenchmark.js';
import { markdownTable, renderResultsMarkdown } from './renderResults.js';
import { sustainedCeiling } from './sustainedCeiling.js';

/** Counts and repetitions of a full run and of a quick one. */
const SIZES = {
  full: {
    handlerEvents: 10_000,
    handlerRepetitions: 7,
    writeSeconds: 60,
    writeNaiveEvents: 2_000,
    payloadEvents: 20_000,
    payloadNaiveEvents: 5_000,
    payloadRepetitions: 3,
    pipelineRates: [10_000, 20_000, 25_000, 30_000, 35_000, 40_000],
    // 15 batching windows per rate: a rate the pipeline cannot keep grows its backlog past 3 s.
    pipelineSeconds: 15,
    importProcesses: 9,
    // One hour at the demo producer's default 200 events/s.
    archiveEvents: 720_000,
  },
  quick: {
    handlerEvents: 2_000,
    handlerRepetitions: 1,
    writeSeconds: 15,
    writeNaiveEvents: 300,
    payloadEvents: 3_000,
    payloadNaiveEvents: 500,
    payloadRepetitions: 1,
    pipelineRates: [5_000],
    pipelineSeconds: 5,
    importProcesses: 3,
    archiveEvents: 72_000,
  },
} as const;

/** Assumed DynamoDB UpdateItem round trip inside AWS for the cost model's Lambda duration, ms. */
const ASSUMED_DYNAMODB_WRITE_MS = 10;
/** Records per invocation of the naive consumer ("small Lambda batches"). */
const NAIVE_BATCH_RECORDS = 10;

interface Measured {
  handler?: HandlerBenchmarkResult;
  exactSums?: ExactSumBenchmarkResult;
  bundle?: { streamfold: BundleResult; naive: BundleResult };
  memory?: { streamfold: PeakHeapResult; naive: PeakHeapResult };
  writes?: DynamoWriteBenchmarkResult;
  producerTable?: { rows: ProducerBenchmarkRow[]; averageEventBytes: number };
  payload?: { rows: ProducerBenchmarkRow[]; averageEventBytes: number; repetitions: number };
  firehose?: { packed: FirehoseBilling; unpacked: FirehoseBilling };
  pipeline?: PipelineBenchmarkResult;
  archive?: ArchiveFormatBenchmarkResult;
  cost?: {
    streamfold: CostBreakdown;
    /** The same units with the aggregate function on an enhanced fan-out consumer. */
    streamfoldEnhancedFanOut: CostBreakdown;
    naive: CostBreakdown;
    units: PipelineUnits[];
  };
}

/**
 * Runs the parts of the benchmark `args` selects with `config`, writes the results files and
 * prints the results; progress goes to stderr.
 */
export async function runBench(args: BenchArgs, config: StreamfoldConfig): Promise<void> {
  const { quick } = args;
  const sizes = quick ? SIZES.quick : SIZES.full;
  const tableEvents = args.events ?? (quick ? 5_000 : 60_000);
  const tableNaiveEvents = args.naiveEvents ?? (quick ? 1_000 : 10_000);
  const selected = args.parts;
  const partial = quick || args.only;
  const command = `npm run bench${args.argv.length > 0 ? ` -- ${args.argv.join(' ')}` : ''}`;
  const log = (message: string) => process.stderr.write(`${message}\n`);
  const started = performance.now();
  const measured: Measured = {};

  // First, while the process is fresh: its RSS is row 8's `npm start` figure.
  if (selected.has('pipeline')) {
    measured.pipeline = await runPipelineBenchmark({
      config,
      rates: sizes.pipelineRates,
      seconds: sizes.pipelineSeconds,
      naive: !quick,
      onProgress: log,
    });
  }
  if (selected.has('handler')) {
    log(
      `handler CPU path, in a fresh process: ${sizes.handlerEvents} events × ${sizes.handlerRepetitions} runs after warm-up, then the exact-sum work alone…`,
    );
    const { handler, exactSums } = await measureHandlerInFreshProcess({
      events: sizes.handlerEvents,
      repetitions: sizes.handlerRepetitions,
    });
    measured.handler = handler;
    measured.exactSums = exactSums;
  }
  if (selected.has('bundle')) {
    log(`bundle: esbuild, then ${sizes.importProcesses} cold imports of each bundle…`);
    measured.bundle = await runBundleBenchmark({ config, processes: sizes.importProcesses });
  }
  if (selected.has('memory')) {
    log('memory: a 6 MB batch in a fresh process, streamfold then naive…');
    measured.memory = {
      streamfold: await measurePeakHeap('streamfold'),
      naive: await measurePeakHeap('naive'),
    };
  }
  if (selected.has('writes') || selected.has('producer') || selected.has('firehose')) {
    log('starting kinesalite and dynalite…');
    const emulators = await startEmulators({
      host: '127.0.0.1',
      ports: { kinesis: 0, dynamodb: 0 },
    });
    try {
      const endpoint = (port: number | undefined) => `http://127.0.0.1:${port}`;
      const { kinesis } = createAwsClients(
        {
          kinesis: endpoint(emulators.ports.kinesis),
          dynamodb: endpoint(emulators.ports.dynamodb),
          s3: endpoint(emulators.ports.dynamodb),
        },
        'us-east-1',
      );
      if (selected.has('writes')) {
        measured.writes = await runDynamoWriteBenchmark({
          endpoint: endpoint(emulators.ports.dynamodb),
          seconds: sizes.writeSeconds,
          naiveEvents: sizes.writeNaiveEvents,
          onProgress: log,
        });
      }
      if (selected.has('producer') || selected.has('firehose')) {
        const runs: ProducerBenchmarkRow[][] = [];
        let firehose: Measured['firehose'];
        let averageEventBytes = 0;
        for (let run = 0; run < sizes.payloadRepetitions; run++) {
          log(
            `producer, ${BENCH_EVENT_BYTES}-byte events: run ${run + 1} of ${sizes.payloadRepetitions}`,
          );
          const result = await runProducerBenchmark({
            kinesis,
            shardCount: config.stream.shardCount,
            events: sizes.payloadEvents,
            naiveEvents: sizes.payloadNaiveEvents,
            naiveConcurrency: 16,
            makeEvent: paddedEventGenerator({ seed: 100 + run }),
            only: ['producer ndjson', 'producer none', 'producer ndjson, no pacing'],
            onProgress: log,
          });
          runs.push(result.rows);
          averageEventBytes = result.averageEventBytes;
          if (!firehose) {
            const packedStream = result.rows.find((r) => r.name === 'producer ndjson');
            const naiveStream = result.rows.at(-1);
            if (packedStream && naiveStream) {
              log('firehose: reading back the packed and the one-per-record streams…');
              firehose = {
                packed: firehoseBillingOf(await recordData(kinesis, packedStream.streamName)),
                unpacked: firehoseBillingOf(await recordData(kinesis, naiveStream.streamName)),
              };
            }
          }
        }
        measured.payload = {
          rows: medianRows(runs),
          averageEventBytes,
          repetitions: sizes.payloadRepetitions,
        };
        measured.firehose = firehose;
        if (selected.has('producer')) {
          measured.producerTable = await runProducerBenchmark({
            kinesis,
            shardCount: config.stream.shardCount,
            events: tableEvents,
            naiveEvents: tableNaiveEvents,
            naiveConcurrency: 16,
            onProgress: log,
          });
        }
      }
    } finally {
      await emulators.stop();
    }
  }
  if (selected.has('cost')) measured.cost = costModel(measured, config.aggregation.memorySize);
  if (selected.has('archive')) {
    log(`archive: ${sizes.archiveEvents} sample events as gzip NDJSON and as Parquet…`);
    measured.archive = await runArchiveFormatBenchmark({
      catalog: config.catalog,
      prefix: config.archive.prefix,
      events: sizes.archiveEvents,
    });
  }

  const seconds = (performance.now() - started) / 1_000;
  const figures = buildFigures(measured, selected, quick);
  const sections = buildSections(measured, config);
  const machine = machineInfo();
  const base = fileURLToPath(new URL(partial ? './results.partial' : './results', import.meta.url));
  const markdown = renderResultsMarkdown({ machine, command, seconds, figures, sections });
  await writeFile(`${base}.md`, markdown);
  await writeFile(
    `${base}.json`,
    `${JSON.stringify({ command, machine, seconds, prices: PRICES, figures, measured }, null, 2)}\n`,
  );
  if (measured.producerTable)
    process.stdout.write(`${producerTableText(measured.producerTable)}\n\n`);
  process.stdout.write(markdown);
  log(`\nwrote ${base}.md and ${base}.json in ${Math.round(seconds)} s`);
}

async function recordData(
  kinesis: Parameters<typeof readStreamRecords>[0],
  streamName: string,
): Promise<Uint8Array[]> {
  return (await readStreamRecords(kinesis, streamName)).map((record) => record.Data as Uint8Array);
}

/** Per variant name, the run whose events/s is the median. */
function medianRows(runs: readonly ProducerBenchmarkRow[][]): ProducerBenchmarkRow[] {
  const first = runs[0] ?? [];
  return first.map((row) => {
    const same = runs
      .map((rows) => rows.find((r) => r.name === row.name))
      .filter((r): r is ProducerBenchmarkRow => r !== undefined);
    const rate = median(same.map((r) => r.eventsPerSecond));
    return same.find((r) => r.eventsPerSecond === rate) ?? { ...row, eventsPerSecond: rate };
  });
}

function costModel(measured: Measured, memoryMB: number): Measured['cost'] {
  const { handler, writes, firehose, payload } = measured;
  const packedRow = payload?.rows.find((r) => r.name === 'producer ndjson');
  const naiveRow = payload?.rows.at(-1);
  const headline = writes?.variants[0];
  if (!handler || !writes || !firehose || !packedRow || !naiveRow || !headline) return undefined;
  const rate = WRITE_WORKLOAD.eventsPerSecond;
  const archive = firehoseArchive(firehose.packed.dataBytesPerEvent, rate);
  const streamfold: PipelineUnits = {
    name: 'streamfold',
    putPayloadUnitsPerEvent: packedRow.putPayloadUnitsPerEvent,
    recordsPerEvent: firehose.packed.records / firehose.packed.events,
    streamBytesPerEvent: firehose.packed.dataBytesPerEvent,
    invocationsPerEvent: headline.invocations / headline.events,
    // CPU from row 1, plus the writes: 16 in flight at a time, each an assumed round trip.
    lambdaSecondsPerEvent:
      1 / handler.streamfoldEventsPerCpuSecond +
      (headline.updatesPerEvent / 16) * (ASSUMED_DYNAMODB_WRITE_MS / 1_000),
    lambdaMemoryMB: memoryMB,
    writeUnitsPerEvent: headline.writeUnitsPerEvent,
    firehoseBilledKBPerEvent: firehose.packed.billedKBPerEvent,
    s3PutsPerEvent: archive.putsPerEvent,
    archiveBytesPerEvent: firehose.packed.gzipBytesPerEvent,
  };
  const naive: PipelineUnits = {
    name: 'naive',
    putPayloadUnitsPerEvent: naiveRow.putPayloadUnitsPerEvent,
    recordsPerEvent: 1,
    streamBytesPerEvent: firehose.unpacked.dataBytesPerEvent,
    invocationsPerEvent: 1 / NAIVE_BATCH_RECORDS,
    // CPU from row 1, plus one awaited UpdateItem per event.
    lambdaSecondsPerEvent:
      1 / handler.naiveEventsPerCpuSecond +
      writes.naive.updatesPerEvent * (ASSUMED_DYNAMODB_WRITE_MS / 1_000),
    lambdaMemoryMB: memoryMB,
    writeUnitsPerEvent: writes.naive.writeUnitsPerEvent,
    firehoseBilledKBPerEvent: firehose.unpacked.billedKBPerEvent,
    s3PutsPerEvent: archive.putsPerEvent,
    archiveBytesPerEvent: firehose.unpacked.gzipBytesPerEvent,
  };
  return {
    streamfold: costPerMillionEvents(streamfold, rate),
    streamfoldEnhancedFanOut: costPerMillionEvents(streamfold, rate, { enhancedFanOut: true }),
    naive: costPerMillionEvents(naive, rate),
    units: [streamfold, naive],
  };
}

/** Archive objects Firehose writes: one per buffer, full at 64 MiB or after 60 s. */
function firehoseArchive(bytesPerEvent: number, eventsPerSecond: number): { putsPerEvent: number } {
  const config = loadConfig();
  const intervalSeconds = (parseDuration(config.archive.bufferingInterval) ?? 60_000) / 1_000;
  const bufferBytes = config.archive.bufferingSizeMiB * 1024 * 1024;
  const eventsPerObject = Math.min(
    eventsPerSecond * intervalSeconds,
    Math.floor(bufferBytes / bytesPerEvent),
  );
  return { putsPerEvent: 1 / eventsPerObject };
}

function buildFigures(measured: Measured, selected: Set<Part>, quick: boolean): BenchFigure[] {
  const only = (part: Part) => `npm run bench -- --only ${part}${quick ? ' --quick' : ''}`;
  const { handler, exactSums, writes, payload, firehose, cost, pipeline, bundle, memory, archive } =
    measured;
  const handlerNsPerEvent = handler ? 1e9 / handler.streamfoldEventsPerCpuSecond : undefined;
  const exactNsPerEvent = exactSums
    ? exactSums.exactSumNsPerEvent + exactSums.storableCheckNsPerEvent
    : undefined;
  const headline = writes?.variants[0];
  const packedRow = payload?.rows.find((r) => r.name === 'producer ndjson');
  const unpacedRow = payload?.rows.find((r) => r.name === 'producer ndjson, no pacing');
  const naiveRow = payload?.rows.at(-1);
  const packedPhases = pipeline?.phases.filter((p) => p.packing === 'ndjson') ?? [];
  const best = sustainedCeiling(packedPhases);
  const sustainedAboveBest = packedPhases.filter(
    (p) => p.sustained && (!best || p.offeredPerSecond > best.offeredPerSecond),
  );
  const firstMissAboveBest = packedPhases.find(
    (p) => !p.sustained && (!best || p.offeredPerSecond > best.offeredPerSecond),
  );
  const naivePhase = pipeline?.phases.find((p) => p.packing === 'none');
  const firstPhase = packedPhases[0];
  const unmeasured = (part: Part) => (selected.has(part) ? '' : ' Not measured in this run.');
  return [
    {
      row: 1,
      figure: 'Handler CPU path, events/s per core',
      value: handler?.streamfoldEventsPerCpuSecond,
      baseline: handler?.naiveEventsPerCpuSecond,
      baselineName: 'per-event handler',
      better: 'higher',
      target: { op: '>=', value: 300_000 },
      command: only('handler'),
      note: handler
        ? `\`aggregateKinesisBatch\` (Powertools batch; each record decoded once, its lines validated by a validator compiled from the zod catalog, zod for every line it does not vouch for; storable-number check; fold per record as it is read; group admission; one store call per distinct item) on one fixed batch of ${handler.events.toLocaleString('en-US')} ${BENCH_EVENT_BYTES}-byte sample events in ${handler.records} NDJSON records (${(handler.batchBytes / 1e6).toFixed(1)} MB), with the configuration's 4 metrics (two with p50/p90/p99 histograms) and exact decimal sums; store, rejects sink and group registry in memory, so their I/O is not in the figure (row 2 counts their writes). Measured in a fresh Node.js process (the bench process has run the pipeline rows by then). Events per CPU-second of that process (user + system, garbage collection included), median of ${handler.repetitions} runs after warming up until 3 successive runs agreed within 10 % (${handler.warmupRuns} runs${handler.warmupAgreed ? '' : ', cap reached without agreement'}): V8 optimises the path over several batches. Baseline, warmed up the same way: per event \`JSON.parse\`, zod parse of envelope and payload, one store call (${handler.naiveStoreCallsPerEvent} per event vs ${handler.streamfoldStoreCallsPerEvent.toFixed(4)}). \`JSON.parse\` of every line alone: ${Math.round(handler.jsonParseEventsPerCpuSecond).toLocaleString('en-US')} events/s.`
        : `Not measured in this run.${unmeasured('handler')}`,
    },
    {
      row: 1,
      figure: `Handler CPU path with ${BAD_LINE_SHARE * 100} % bad lines, lines/s per core`,
      value: handler?.streamfoldWithBadLinesPerCpuSecond,
      baseline: handler?.naiveWithBadLinesPerCpuSecond,
      baselineName: 'per-event handler, counting bad lines only',
      better: 'higher',
      target: undefined,
      command: only('handler'),
      note: handler
        ? `Row 1's batch with every ${Math.round(1 / BAD_LINE_SHARE)}th line made bad (${handler.badLines.toLocaleString('en-US')} lines: cut in half, an unknown type, a country code of the wrong shape, a time without offset, an id with spaces, in turn). Each is refused with the code, field and message a producer would see and written to the in-memory rejects sink with its raw line; the batch's good events are folded as in row 1. Lines (good and bad) per CPU-second, measured as row 1. The baseline only counts its bad lines.`
        : `Not measured in this run.${unmeasured('handler')}`,
    },
    {
      row: 1,
      figure: 'Exact decimal sums and storable-number check, CPU ns per event',
      value: exactNsPerEvent,
      baseline: exactSums?.floatSumNsPerEvent,
      baselineName: 'binary floating-point sums, no check',
      better: 'lower',
      // Within 3 % of the handler's CPU time per event over the floating-point sums.
      target:
        exactSums && handlerNsPerEvent !== undefined
          ? { op: '<=', value: exactSums.floatSumNsPerEvent + 0.03 * handlerNsPerEvent }
          : undefined,
      command: only('handler'),
      note:
        exactSums && exactNsPerEvent !== undefined
          ? `The fold's sum work alone on row 1's batch (${exactSums.events.toLocaleString('en-US')} events, ${exactSums.additionsPerEvent.toFixed(2)} value additions per event into ${exactSums.deltas} items' running sums, each written out once), timed apart from the rest of the handler: \`DecimalSum\` (a scaled integer in a plain number while exact, BigInt past it) ${exactSums.exactSumNsPerEvent.toFixed(1)} ns per event, plus \`checkStorableValues\` on every event ${exactSums.storableCheckNsPerEvent.toFixed(1)} ns, against \`sum += value\` ${exactSums.floatSumNsPerEvent.toFixed(1)} ns. Added: ${(exactNsPerEvent - exactSums.floatSumNsPerEvent).toFixed(1)} ns per event${handlerNsPerEvent === undefined ? '' : `, ${((100 * (exactNsPerEvent - exactSums.floatSumNsPerEvent)) / handlerNsPerEvent).toFixed(2)} % of row 1's ${(handlerNsPerEvent / 1_000).toFixed(1)} µs per event`}. Target: at most 3 % of row 1. CPU time of the process, median of ${exactSums.repetitions} runs of 20 passes after a warm-up.`
          : `Not measured in this run.${unmeasured('handler')}`,
    },
    {
      row: 2,
      figure: `DynamoDB write units per event (${WRITE_WORKLOAD.eventsPerSecond.toLocaleString('en-US')} events/s, ${WRITE_WORKLOAD.distinctGroups} keys, ${WRITE_WORKLOAD.batchingWindowMs / 1_000} s window)`,
      value: headline?.writeUnitsPerEvent,
      baseline: writes?.naive.writeUnitsPerEvent,
      baselineName: 'one UpdateItem per event',
      better: 'lower',
      target: { op: '<=', value: 0.03 },
      command: only('writes'),
      note: headline
        ? `The real handler with \`DynamoAggregateStore\`, \`DynamoGroupRegistry\` and the shard ledger (\`DynamoAttemptTracker\`) against dynalite. Workload: ${headline.events.toLocaleString('en-US')} purchases (${writes?.variants[0] ? `${headline.events / WRITE_WORKLOAD.eventsPerSecond}` : ''} s at ${WRITE_WORKLOAD.eventsPerSecond.toLocaleString('en-US')} events/s of event time), one metric \`${WRITE_WORKLOAD.metricName}\` (count, sum, min, max of \`data.amount\`, grouped by \`data.country\` over ${WRITE_WORKLOAD.distinctGroups} codes, window \`1m\`): a key is one (metric, group, minute) item, ${WRITE_WORKLOAD.distinctGroups} live at a time. Each shard is invoked once per ${WRITE_WORKLOAD.batchingWindowMs / 1_000} s window. Every write is counted with \`ReturnConsumedCapacity: TOTAL\`: DynamoDB bills an UpdateItem one write unit per started 1 KB of the larger of the item before and after the update (Developer Guide, "DynamoDB read and write operations"); dynalite applies that rule. Headline: ${headline.name}; ${headline.updateItemCalls.toLocaleString('en-US')} writes (UpdateItem for aggregates, with min and max in the same update, for the group registry and for the shard ledger, two per invocation), largest aggregate item ${headline.largestItemBytes.toLocaleString('en-US')} bytes. Other variants in the section below. Baseline: \`ADD cnt, sum\` per event on a ${writes?.naive.events.toLocaleString('en-US')}-event prefix of the same workload.`
        : `Not measured in this run.${unmeasured('writes')}`,
    },
    {
      row: 3,
      figure: `Producer PUT payload units per event (${BENCH_EVENT_BYTES}-byte events)`,
      value: packedRow?.putPayloadUnitsPerEvent,
      baseline: naiveRow?.putPayloadUnitsPerEvent,
      baselineName: 'PutRecord per event',
      better: 'lower',
      target: { op: '<=', value: 0.025 },
      command: only('producer'),
      note:
        packedRow && naiveRow && payload
          ? `\`KinesisProducer\` (ndjson, paced to 2 shards × 1 MiB/s and 1,000 records/s) into a 2-shard kinesalite stream, sample events padded to ${Math.round(payload.averageEventBytes)} bytes; median of ${payload.repetitions} runs. Events/s: ${Math.round(packedRow.eventsPerSecond).toLocaleString('en-US')} paced (the shard byte limit allows ${Math.round((2 * 1024 * 1024) / payload.averageEventBytes).toLocaleString('en-US')}), ${unpacedRow ? Math.round(unpacedRow.eventsPerSecond).toLocaleString('en-US') : '–'} unpaced (kinesalite speed); naive ${Math.round(naiveRow.eventsPerSecond).toLocaleString('en-US')} events/s with 16 PutRecord calls in flight (AWS would cap it at 2,000/s on 2 shards). API calls per event ${packedRow.apiCallsPerEvent.toFixed(4)} vs 1.`
          : `Not measured in this run.${unmeasured('producer')}`,
    },
    {
      row: 4,
      figure: 'Firehose billed KB per event',
      value: firehose?.packed.billedKBPerEvent,
      baseline: firehose?.unpacked.billedKBPerEvent,
      baselineName: 'one event per record',
      better: 'lower',
      target: undefined,
      command: only('firehose'),
      note: firehose
        ? `The records of row 3's packed stream and of its one-per-record stream, read back with GetRecords, each rounded up to the next 5 KB as Firehose bills ingestion from a Kinesis source. 5 KB counted as 5,000 bytes (${firehose.packed.billedKBPerEvent.toFixed(3)} KB/event for ${firehose.packed.records} records of ${(firehose.packed.events / firehose.packed.records).toFixed(1)} events); as 5,120 bytes it is ${firehose.packed.billedKBPerEventKiB.toFixed(3)}. Archive objects: ${firehose.packed.gzipBytesPerEvent.toFixed(0)} gzip bytes per event.`
        : `Not measured in this run.${unmeasured('firehose')}`,
    },
    {
      row: 5,
      figure: 'Cost per million events on AWS, USD',
      value: cost?.streamfold.total,
      baseline: cost?.naive.total,
      baselineName: 'PutRecord per event, 10-record batches, UpdateItem per event',
      better: 'lower',
      target: cost ? { op: '<=', value: cost.naive.total / 20 } : undefined,
      command: only('cost'),
      note: cost
        ? `us-east-1 list prices from \`bench/prices.ts\` (compiled ${PRICES.compiled}, sources in the file) times the units measured in rows 1-4 at ${WRITE_WORKLOAD.eventsPerSecond.toLocaleString('en-US')} events/s of ${BENCH_EVENT_BYTES}-byte events; breakdown below. Target: ≥ 20× cheaper than the baseline. Assumptions (not measured): Lambda arm64 at ${loadConfig().aggregation.memorySize} MB, billed time = measured CPU time per event plus ${ASSUMED_DYNAMODB_WRITE_MS} ms per DynamoDB round trip (streamfold: 16 writes in flight; naive: one awaited write per event); naive batches of ${NAIVE_BATCH_RECORDS} records; both archive the same events (same S3 bytes). With \`aggregation.enhancedFanOut\` (a dedicated consumer for the aggregate function): $${cost.streamfoldEnhancedFanOut.total.toFixed(4)} (column "streamfold, enhanced fan-out" below).`
        : `Not measured in this run.${unmeasured('cost')}`,
    },
    {
      row: 6,
      figure: 'End to end, sustained events/s (local, 2 shards)',
      value: pipeline ? (best?.offeredPerSecond ?? 0) : undefined,
      // Only one rate is offered unpacked (time): sustained, it is a lower bound; if not, what was folded.
      baseline: naivePhase
        ? naivePhase.sustained
          ? naivePhase.offeredPerSecond
          : naivePhase.aggregatedPerSecond
        : undefined,
      baselineName: naivePhase
        ? `one event per record, only ${naivePhase.offeredPerSecond.toLocaleString('en-US')}/s tried (${pipeline?.shards} shards' record limit on AWS): ${naivePhase.sustained ? 'sustained' : 'folded/s, not sustained'}`
        : 'one event per record',
      better: 'higher',
      target: { op: '>=', value: 30_000 },
      command: only('pipeline'),
      note: pipeline
        ? `\`startLocalPipeline\` (no demo) on this machine: kinesalite, dynalite and s3rver each in a child process of its own; the event source mapping running the real handler module, and the archiver, on the main thread. The load comes from a worker thread of the same process (\`LoadGenerator\`): sample events (~${Math.round(pipeline.averageEventBytes)} bytes) over ${pipeline.partitionKeys.toLocaleString('en-US')} partition keys, validated and packed by its own \`KinesisProducer\` without shard pacing (kinesalite enforces no shard limits), so generating the load does not take the handler's event loop. Every rate of the ladder (${packedPhases.map((p) => p.offeredPerSecond.toLocaleString('en-US')).join(', ')} events/s) is offered for ${firstPhase?.seconds.toFixed(0) ?? '–'} s (${pipeline.batchingWindow} batching window), whatever the rate before it did. A rate counts as sustained when the generator put ≥ ${100 * SUSTAINED_LIMITS.minPutShare} % of it, at most ${SUSTAINED_LIMITS.maxBacklogSeconds} s of its traffic is put but not yet folded at the moment production stops, and all of it is folded within ${SUSTAINED_LIMITS.maxDrainSeconds} s after (\`bench/judgeSustained.ts\`): a rate the pipeline keeps up with holds a bounded backlog (the batching window and one batch in the handler), one it does not grows its backlog all phase long. The figure is the highest rate sustained with every lower rate sustained too (\`bench/sustainedCeiling.ts\`). ${best ? `Highest sustained: ${best.offeredPerSecond.toLocaleString('en-US')} events/s, produce-to-aggregate latency p50 ${Math.round(best.latencyP50Ms ?? 0)} ms, p99 ${Math.round(best.latencyP99Ms ?? 0)} ms, backlog ${best.backlogSecondsAtEnd.toFixed(1)} s when production stopped${best.cpu ? `; CPU there: ${cpuText(best.cpu)}` : ''}.` : 'No offered rate was sustained (0 in the table).'}${firstMissAboveBest ? ` At ${firstMissAboveBest.offeredPerSecond.toLocaleString('en-US')} events/s: ${firstMissAboveBest.verdict}${firstMissAboveBest.cpu ? `; CPU ${cpuText(firstMissAboveBest.cpu)}` : ''}.` : ''}${sustainedAboveBest.length > 0 ? ` Sustained above that in this run, not counted (a rate below them was not): ${sustainedAboveBest.map((p) => p.offeredPerSecond.toLocaleString('en-US')).join(', ')}.` : ''} CPU is per part, from \`/proc\`, in shares of one core while events were put. Latency by matching counts: the k-th folded event is taken to be the k-th put one (exact for FIFO order; across ${pipeline.shards} shards an average), counts read every 50 ms. Every phase is listed below with its verdict. Everything shares the machine's ${machineInfo().cores} cores; a Lambda deployment runs one handler per shard.`
        : `Not measured in this run.${unmeasured('pipeline')}`,
    },
    {
      row: 7,
      figure: 'Lambda bundle size, KB',
      value: bundle ? bundle.streamfold.bytes / 1024 : undefined,
      baseline: bundle ? bundle.naive.bytes / 1024 : undefined,
      baselineName: 'AWS SDK bundled, not minified',
      better: 'lower',
      target: { op: '<=', value: 800 },
      command: only('bundle'),
      note: bundle
        ? `esbuild with the CDK app's settings (\`FUNCTION_DEFAULTS.bundling\`: ESM, minified, \`@aws-sdk/*\` external, target ${'node24'}).`
        : `Not measured in this run.${unmeasured('bundle')}`,
    },
    {
      row: 7,
      figure: 'Lambda cold import, ms',
      value: bundle?.streamfold.importMs,
      baseline: bundle?.naive.importMs,
      baselineName: 'AWS SDK bundled, not minified',
      better: 'lower',
      target: { op: '<=', value: 300 },
      command: only('bundle'),
      note: bundle
        ? `\`await import()\` of the bundle in a fresh \`node\` process with the function's environment (\`aggregateFunctionEnvironment\`), timed inside the process (Node.js start-up excluded; whole process ${Math.round(bundle.streamfold.processMs)} ms vs ${Math.round(bundle.naive.processMs)} ms); median of the processes run. The external AWS SDK is loaded from node_modules, as Lambda loads it from the runtime. Lambda's own init (runtime start, code download) is not included.`
        : `Not measured in this run.${unmeasured('bundle')}`,
    },
    {
      row: 8,
      figure: 'Handler peak heap on a 6 MB batch, MB',
      value: memory ? memory.streamfold.heapMaxBytes / 1e6 : undefined,
      baseline: memory ? memory.naive.heapMaxBytes / 1e6 : undefined,
      baselineName: 'per-event handler',
      better: 'lower',
      target: { op: '<=', value: 200 },
      command: only('memory'),
      note: memory
        ? `A fresh process builds a batch of ${memory.streamfold.events.toLocaleString('en-US')} ${BENCH_EVENT_BYTES}-byte events whose invocation JSON is ${(memory.streamfold.payloadBytes / 1e6).toFixed(2)} MB (Lambda's payload limit is 6 MB), parses it as Lambda hands it over, and folds it with in-memory dependencies. Largest heapUsed sampled at every store call and every 1 ms tick; heap before folding ${(memory.streamfold.heapBeforeBytes / 1e6).toFixed(0)} MB (batch included). Peak RSS of the whole process (code, tsx, buffers): ${(memory.streamfold.peakRssBytes / 1e6).toFixed(0)} MB vs ${(memory.naive.peakRssBytes / 1e6).toFixed(0)} MB naive.`
        : `Not measured in this run.${unmeasured('memory')}`,
    },
    {
      row: 8,
      figure: '`npm start` RSS at the sustained rate, MB',
      value: best?.rssMedianBytes !== undefined ? best.rssMedianBytes / 1e6 : undefined,
      baseline:
        naivePhase?.rssMedianBytes !== undefined ? naivePhase.rssMedianBytes / 1e6 : undefined,
      baselineName: 'one event per record',
      better: 'lower',
      target: { op: '<=', value: 1_000 },
      command: only('pipeline'),
      note: pipeline
        ? best
          ? `Median RSS of the pipeline process plus its children (the three emulator processes), sampled every 500 ms during the ${best.offeredPerSecond.toLocaleString('en-US')} events/s phase of row 6; largest ${((best.rssMaxBytes ?? 0) / 1e6).toFixed(0)} MB.${best.rssMedianByProcess ? ` By process: ${rssText(best.rssMedianByProcess)}.` : ''} The pipeline process also holds the load generator's worker thread with its producer buffer (2 s of load), and the archiver's buffer (up to ${loadConfig().archive.bufferingSizeMiB} MiB or ${loadConfig().archive.bufferingInterval}); kinesalite keeps every record put in memory for the stream's ${loadConfig().stream.retention} retention, ${best.eventsInStream.toLocaleString('en-US')} events by the end of that phase, so the figure grows with the length of the run. The baseline is the unpacked phase, run last.`
          : 'No rate was sustained in row 6, so there is no RSS at a sustained rate; the RSS of each phase is listed below.'
        : `Not measured in this run.${unmeasured('pipeline')}`,
    },
    {
      row: 9,
      figure: 'Archive bytes stored per event, Parquet',
      value: archive ? archive.parquet.storedBytes / archive.events : undefined,
      baseline: archive ? archive.ndjsonGzip.storedBytes / archive.events : undefined,
      baselineName: 'gzip NDJSON',
      better: 'lower',
      target: undefined,
      command: only('archive'),
      note: archive
        ? `One hour of ${archive.events.toLocaleString('en-US')} web-shop sample events (not padded; ${(archive.ndjsonBytes / archive.events).toFixed(0)} bytes of NDJSON each): one gzip NDJSON object (zlib level 6) of ${(archive.ndjsonGzip.storedBytes / 1e6).toFixed(2)} MB vs one Parquet object as the local archiver writes it (Snappy, the Glue table's columns, DuckDB's writer, ${archive.parquet.rowGroups} row group${archive.parquet.rowGroups === 1 ? '' : 's'}) of ${(archive.parquet.storedBytes / 1e6).toFixed(2)} MB. Random UUIDs and ISO time strings dominate both. Firehose's own Parquet writer may lay the file out differently.`
        : `Not measured in this run.${unmeasured('archive')}`,
    },
    {
      row: 9,
      figure: `Bytes a one-column query scans per event over one hour, Parquet`,
      value: archive ? archive.parquet.scannedBytes / archive.events : undefined,
      baseline: archive ? archive.ndjsonGzip.scannedBytes / archive.events : undefined,
      baselineName: 'gzip NDJSON',
      better: 'lower',
      target: archive
        ? { op: '<=', value: archive.ndjsonGzip.scannedBytes / archive.events / 5 }
        : undefined,
      command: only('archive'),
      note: archive
        ? `\`SELECT ${ONE_COLUMN_QUERY_COLUMN}, count(*) FROM events WHERE id IS NOT NULL GROUP BY 1\` over the same hour. gzip NDJSON: the whole object (${(archive.ndjsonGzip.scannedBytes / 1e6).toFixed(2)} MB), as JSON has no column index. Parquet: the \`${ONE_COLUMN_QUERY_COLUMN}\` column chunks (${(archive.parquet.columnChunkBytes / 1e3).toFixed(1)} kB, from \`parquet_metadata\`) plus every byte outside the column chunks (footer, magic: ${((archive.parquet.scannedBytes - archive.parquet.columnChunkBytes) / 1e3).toFixed(1)} kB), an upper bound of what Athena reads. Target: 5× fewer bytes than gzip NDJSON. Athena cost of the query (${PRICES.athena.perTBScanned} USD per TB, ${PRICES.athena.minimumMBPerQuery} MB minimum): $${archive.ndjsonGzip.athenaUsdPerQuery.toPrecision(3)} gzip NDJSON vs $${archive.parquet.athenaUsdPerQuery.toPrecision(3)} Parquet; below ${PRICES.athena.minimumMBPerQuery} MB both pay the minimum. The query gives the same answer over both files (${archive.answers.ndjsonGzip === archive.answers.parquet ? 'checked' : 'DIFFERENT: see results.json'}).`
        : `Not measured in this run.${unmeasured('archive')}`,
    },
  ];
}

/** RSS of each process of the local pipeline, MB. */
function rssText(rss: RssByProcess): string {
  const mb = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;
  return `pipeline ${mb(rss.pipeline)}, kinesalite ${mb(rss.kinesalite)}, dynalite ${mb(rss.dynalite)}, s3rver ${mb(rss.s3rver)}`;
}

/** A phase's CPU by part, largest first, e.g. `handler thread 98 %, kinesalite 41 %, …`. */
function cpuText(cpu: PipelineCpuShares): string {
  const names: Record<keyof PipelineCpuShares, string> = {
    handlerThread: 'handler thread',
    generatorThread: 'load generator thread',
    otherThreads: 'GC and thread pool',
    kinesalite: 'kinesalite',
    dynalite: 'dynalite',
    s3rver: 's3rver',
  };
  return (Object.keys(names) as (keyof PipelineCpuShares)[])
    .sort((a, b) => cpu[b] - cpu[a])
    .map((part) => `${names[part]} ${Math.round(100 * cpu[part])} %`)
    .join(', ');
}

function buildSections(
  measured: Measured,
  config: ReturnType<typeof loadConfig>,
): { title: string; body: string }[] {
  const sections: { title: string; body: string }[] = [];
  const { writes, cost, pipeline, payload, producerTable } = measured;
  if (writes) {
    sections.push({
      title: 'DynamoDB writes by variant (row 2)',
      body: markdownTable(
        [
          'variant',
          'events',
          'invocations',
          'UpdateItem calls',
          'write units',
          'units/event',
          'updates/event',
          'largest item, bytes',
        ],
        [
          ...writes.variants.map((v) => [
            v.name,
            v.events,
            v.invocations,
            v.updateItemCalls,
            v.writeUnits,
            Number(v.writeUnitsPerEvent.toFixed(4)),
            Number(v.updatesPerEvent.toFixed(4)),
            v.largestItemBytes,
          ]),
          [
            'naive: UpdateItem per event',
            writes.naive.events,
            '–',
            writes.naive.events,
            writes.naive.writeUnits,
            writes.naive.writeUnitsPerEvent,
            writes.naive.updatesPerEvent,
            '–',
          ],
        ],
      ),
    });
  }
  if (cost) {
    const keys = [
      ['kinesisPutPayloadUnits', 'Kinesis PUT payload units'],
      ['kinesisShardHours', 'Kinesis shard hours'],
      ['kinesisEnhancedFanOutShardHours', 'Kinesis enhanced fan-out consumer-shard hours'],
      ['kinesisEnhancedFanOutRetrieval', 'Kinesis enhanced fan-out data retrieval'],
      ['lambdaRequests', 'Lambda requests'],
      ['lambdaCompute', 'Lambda GB-s (arm64)'],
      ['dynamodbWrites', 'DynamoDB on-demand writes'],
      ['firehoseIngestion', 'Firehose ingestion'],
      ['s3Puts', 'S3 PUTs (archive objects)'],
      ['s3StorageMonth', 'S3 storage, one month'],
      ['total', 'total'],
    ] as const;
    const usd = (value: number) =>
      value === 0 ? '$0' : `$${value < 0.001 ? value.toExponential(2) : value.toFixed(4)}`;
    sections.push({
      title: `Cost per million events (row 5, us-east-1, prices of ${PRICES.compiled})`,
      body: `${markdownTable(
        ['line item', 'streamfold', 'streamfold, enhanced fan-out', 'naive', 'naive ÷ streamfold'],
        keys.map(([key, label]) => [
          label,
          usd(cost.streamfold[key]),
          usd(cost.streamfoldEnhancedFanOut[key]),
          usd(cost.naive[key]),
          cost.streamfold[key] > 0
            ? `${(cost.naive[key] / cost.streamfold[key]).toFixed(1)}×`
            : '–',
        ]),
      )}\n\nUnits per event used: ${cost.units
        .map(
          (u) =>
            `${u.name}: ${u.putPayloadUnitsPerEvent.toFixed(4)} PUT units, ${u.invocationsPerEvent.toExponential(2)} invocations, ${(u.lambdaSecondsPerEvent * 1e6).toFixed(1)} µs billed, ${u.writeUnitsPerEvent.toFixed(4)} write units, ${u.firehoseBilledKBPerEvent.toFixed(3)} Firehose KB, ${u.archiveBytesPerEvent.toFixed(0)} archive bytes`,
        )
        .join(
          '; ',
        )}. Shards: as many as ${WRITE_WORKLOAD.eventsPerSecond.toLocaleString('en-US')} events/s need (1 MiB/s and 1,000 records/s each).`,
    });
  }
  if (pipeline) {
    const percent = (share: number | undefined) =>
      share === undefined ? '–' : `${Math.round(100 * share)}`;
    sections.push({
      title: `End-to-end phases (rows 6 and 8, ${pipeline.shards} shards, batch size ${config.aggregation.batchSize}, batching window ${config.aggregation.maxBatchingWindow})`,
      body: `${markdownTable(
        [
          'packing',
          'offered/s',
          'put/s',
          'folded/s',
          'backlog at end, events',
          'backlog at end, s',
          'drain, s',
          'latency p50, ms',
          'latency p99, ms',
          'ack p99, ms',
          'verdict',
          'CPU % handler / generator / GC+pool / kinesalite / dynalite',
          'RSS median, MB: total (pipeline / kinesalite / dynalite / s3rver)',
        ],
        pipeline.phases.map((p) => [
          p.packing,
          p.offeredPerSecond,
          Math.round(p.putPerSecond),
          Math.round(p.aggregatedPerSecond),
          p.backlogAtEnd,
          Number(p.backlogSecondsAtEnd.toFixed(2)),
          p.drainSeconds === undefined
            ? 'did not drain in 20 s'
            : Number(p.drainSeconds.toFixed(1)),
          p.latencyP50Ms === undefined ? undefined : Math.round(p.latencyP50Ms),
          p.latencyP99Ms === undefined ? undefined : Math.round(p.latencyP99Ms),
          Math.round(p.ackLatencyP99Ms),
          p.sustained ? 'sustained' : `not sustained: ${p.verdict}`,
          p.cpu
            ? [
                p.cpu.handlerThread,
                p.cpu.generatorThread,
                p.cpu.otherThreads,
                p.cpu.kinesalite,
                p.cpu.dynalite,
              ]
                .map(percent)
                .join(' / ')
            : '–',
          p.rssMedianBytes === undefined
            ? '–'
            : `${Math.round(p.rssMedianBytes / 1e6)}${
                p.rssMedianByProcess
                  ? ` (${[
                      p.rssMedianByProcess.pipeline,
                      p.rssMedianByProcess.kinesalite,
                      p.rssMedianByProcess.dynalite,
                      p.rssMedianByProcess.s3rver,
                    ]
                      .map((bytes) => Math.round(bytes / 1e6))
                      .join(' / ')})`
                  : ''
              }`,
        ]),
      )}\n\nfolded/s: events folded per second while events were put. Backlog: events put but not yet folded when production stopped. Drain: seconds from then until every event was folded. Ack p99: the producer's put-to-acknowledgement latency. CPU: shares of one core while events were put (100 = a whole core), from \`/proc\`.`,
    });
  }
  if (payload) {
    sections.push({
      title: `Producer, ${BENCH_EVENT_BYTES}-byte events (row 3)`,
      body: `\`\`\`\n${formatTable(
        ['variant', 'events', 'events/s', 'PUT units/event', 'calls/event', 'note'],
        payload.rows.map((row) => [
          row.name,
          row.events,
          Math.round(row.eventsPerSecond),
          Number(row.putPayloadUnitsPerEvent.toFixed(4)),
          Number(row.apiCallsPerEvent.toFixed(4)),
          row.note,
        ]),
      )}\n\`\`\``,
    });
  }
  if (producerTable) {
    sections.push({
      title: 'Producer, sample events',
      body: `\`\`\`\n${producerTableText(producerTable)}\n\`\`\``,
    });
  }
  return sections;
}

function producerTableText(table: {
  rows: ProducerBenchmarkRow[];
  averageEventBytes: number;
}): string {
  const naive = table.rows.at(-1);
  return `Sample web-shop events (~${Math.round(table.averageEventBytes)} bytes each) into a 2-shard kinesalite stream\n\n${formatTable(
    [
      'variant',
      'events',
      'seconds',
      'events/s',
      'vs naive',
      'PUT units/event',
      'calls/event',
      'note',
    ],
    table.rows.map((row) => [
      row.name,
      row.events,
      Number(row.seconds.toFixed(2)),
      Math.round(row.eventsPerSecond),
      `${(row.eventsPerSecond / (naive?.eventsPerSecond ?? 1)).toFixed(1)}×`,
      Number(row.putPayloadUnitsPerEvent.toFixed(4)),
      Number(row.apiCallsPerEvent.toFixed(4)),
      row.note,
    ]),
  )}\n\nPUT payload units are what Kinesis bills per record (25 KB each, rounded up); fewer per event is cheaper.`;
}
