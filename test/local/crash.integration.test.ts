import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { AGGREGATE_ATTRIBUTES } from '../../functions/aggregate/DynamoAggregateStore.js';
import { scanAggregates } from '../../load/scanAggregates.js';
import { createAwsClients } from '../../local/awsClients.js';
import { startEmulators } from '../../local/emulators/startEmulators.js';
import { LocalRuntimeProcess } from '../helpers/LocalRuntimeProcess.js';
import { expectedAggregates, expectMatchesGroundTruth } from './groundTruth.js';

/*
 * Invariant: after a crash at any point of a flush and a restart with the same
 * --data-dir, every aggregate figure (count, sum, min, max, histogram buckets)
 * equals the ground truth of the events put, and the restart replays from the
 * last saved checkpoint, not from the start of the stream.
 *
 * The runtime is `npm start` itself, as a child process, with the settings of
 * streamfold.config.ts (batches of up to 1,000 records). The workload makes
 * every flush long and gives every batch final minimums and maximums to
 * write: one purchase per record, 300 countries (partition key = country, so
 * each country keeps its order on one shard), and per country a new minute
 * every 10 events, with amounts that move further out at every event of the
 * minute. A minute of one country spans about one and a half batches of its
 * shard, and the minutes of different countries start at staggered events, so
 * whichever batch is in flight when the kill lands holds the last events, and
 * thus the final min and max, of about a hundred minute items that earlier
 * batches already wrote: min and max lost in between stay wrong for good.
 */

/** What `npm start` runs with; the ground truth needs the same metrics and windows. */
const config = loadConfig();
const EVENT_COUNT = 8_000;
const GROUPS = 150;
/** Events of one country in one minute item. */
const EVENTS_PER_MINUTE = 20;
const PUT_BATCH = 500;
/** The kill lands once this share of the events is counted, and before this other share is. */
const KILL_AFTER_SHARE = 0.3;
const KILL_BEFORE_SHARE = 0.7;
/** Pause between PutRecords calls of the whole-runtime case, ms: 16 calls take about 4 s. */
const PUT_PACE_MS = 250;
const POLL_MS = 100;
/** Nothing listens here: the aggregates reader needs only DynamoDB. */
const UNUSED_ENDPOINT = 'http://127.0.0.1:1';
const TEST_TIMEOUT_MS = 180_000;

const RUNTIME_ARGS = ['--no-demo', '--ephemeral-ports'] as const;

interface StreamRecord {
  partitionKey: string;
  data: Buffer;
}

/** Where the stream put a record. */
interface RecordPosition {
  shardId: string;
  sequenceNumber: string;
}

let runtimes: LocalRuntimeProcess[] = [];
let dataDir: string | undefined;

afterEach(async () => {
  for (const runtime of runtimes) await runtime.killAll();
  runtimes = [];
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

describe('kill -9 of the whole local runtime mid-flush', () => {
  it(
    'counts every event exactly once after a restart, which replays only from the last saved checkpoint',
    async () => {
      // Prepare
      dataDir = mkdtempSync(join(tmpdir(), 'streamfold-crash-runtime-'));
      const { events, records } = purchaseWorkload('runtime');
      const expected = expectedAggregates(config, events);
      const checkpointFile = join(dataDir, 'aggregate-checkpoints.json');
      const first = await startRuntime(dataDir);
      const firstClients = clientsOf(first);
      // Paced over a few seconds, so the first periodic save (2 s) comes while work remains
      // however fast or loaded the machine is.
      const putting = putRecords(firstClients.kinesis, records, PUT_PACE_MS);

      // Act: SIGKILL the runtime and its emulators together once some events are counted and
      // a checkpoint is on disk; if no checkpoint ever shows, kill anyway a little later.
      const countedAtKill = await waitForShare(firstClients.dynamodb, expected, (counted) => {
        const share = counted / EVENT_COUNT;
        return (
          share >= KILL_AFTER_SHARE &&
          (readCheckpoints(checkpointFile) !== undefined || share >= KILL_BEFORE_SHARE - 0.05)
        );
      });
      const positions = await putting;
      await first.killAll();
      const checkpoints = readCheckpoints(checkpointFile);
      const second = await startRuntime(dataDir);
      await waitForShare(
        clientsOf(second).dynamodb,
        expected,
        (counted) => counted === EVENT_COUNT,
      );
      const { code, status } = await second.stop();

      // Assess
      expect(countedAtKill, 'the kill landed mid-flush').toBeLessThan(
        EVENT_COUNT * KILL_BEFORE_SHARE,
      );
      expect(code).toBe(0);
      expect(checkpoints, `${checkpointFile} after kill -9`).toBeDefined();
      const redelivered = positions.filter((p) => isAfter(p, checkpoints ?? {})).length;
      expect(redelivered, 'records after the saved checkpoints').toBeLessThan(EVENT_COUNT);
      // One event per record: the restart folded exactly the records after the checkpoints.
      expect(status.folded, 'events the restart folded').toBe(redelivered);
      expect(status['on-failure'], 'records sent to the on-failure destination').toBe(0);
      expectMatchesGroundTruth(await readStoredAggregates(dataDir), expected);
    },
    TEST_TIMEOUT_MS,
  );
});

describe('kill -9 of the emulator processes alone mid-flush', () => {
  it(
    'counts every event exactly once, min and max included, after the runtime restarts on the same data',
    async () => {
      // Prepare
      dataDir = mkdtempSync(join(tmpdir(), 'streamfold-crash-emulators-'));
      const { events, records } = purchaseWorkload('emulators');
      const expected = expectedAggregates(config, events);
      const first = await startRuntime(dataDir);
      const firstClients = clientsOf(first);
      await putRecords(firstClients.kinesis, records);

      // Act: SIGKILL only the emulators, while the handler is writing aggregates. The runtime
      // restarts them on the same data; then the whole runtime is killed and started again.
      const countedAtKill = await waitForShare(
        firstClients.dynamodb,
        expected,
        (counted) => counted / EVENT_COUNT >= KILL_AFTER_SHARE,
      );
      first.killEmulators();
      await delay(1_500);
      await first.killAll();
      const second = await startRuntime(dataDir);
      await waitForShare(
        clientsOf(second).dynamodb,
        expected,
        (counted) => counted === EVENT_COUNT,
      );
      const { code, status } = await second.stop();

      // Assess
      expect(countedAtKill, 'the kill landed mid-flush').toBeLessThan(
        EVENT_COUNT * KILL_BEFORE_SHARE,
      );
      expect(code).toBe(0);
      expect(status['on-failure'], 'records sent to the on-failure destination').toBe(0);
      expectMatchesGroundTruth(await readStoredAggregates(dataDir), expected);
    },
    TEST_TIMEOUT_MS,
  );
});

async function startRuntime(dir: string): Promise<LocalRuntimeProcess> {
  const runtime = await LocalRuntimeProcess.start([...RUNTIME_ARGS, '--data-dir', dir]);
  runtimes.push(runtime);
  return runtime;
}

function clientsOf(runtime: LocalRuntimeProcess) {
  return createAwsClients(runtime.endpoints, config.local.region);
}

/**
 * One purchase per record, countries in turn. Country `g` (its partition key)
 * moves to its next minute every {@link EVENTS_PER_MINUTE} events, shifted by
 * `g` events so countries change minutes at different places in the stream;
 * within a minute its amounts alternate below and above its own base, each
 * one further out, so every event is a new min or max of its minute item.
 */
function purchaseWorkload(run: string): { events: StreamfoldEvent[]; records: StreamRecord[] } {
  const minutes = Math.ceil(EVENT_COUNT / GROUPS / EVENTS_PER_MINUTE) + 1;
  // Whole minutes ending at least a minute ago: inside events.maxLateness and maxFutureSkew.
  const start = (Math.floor(Date.now() / 60_000) - minutes - 1) * 60_000;
  const events: StreamfoldEvent[] = [];
  const records: StreamRecord[] = [];
  for (let i = 0; i < EVENT_COUNT; i++) {
    const group = i % GROUPS;
    const step = Math.floor(i / GROUPS) + (group % EVENTS_PER_MINUTE);
    const minute = Math.floor(step / EVENTS_PER_MINUTE);
    const inMinute = step % EVENTS_PER_MINUTE;
    const country = countryCode(group);
    // Cents: base 100.00 + 1.00 per country, then ±0.07 more at each event of the minute.
    const cents = 10_000 + 100 * group + (inMinute % 2 === 0 ? -1 : 1) * 7 * (inMinute + 1);
    const event: StreamfoldEvent = {
      id: `crash-${run}-${i}`,
      type: 'purchase',
      time: new Date(start + minute * 60_000 + inMinute * 1_000).toISOString(),
      source: 'crash-test',
      data: { orderId: `o-${i}`, amount: cents / 100, currency: 'EUR', items: 1, country },
    };
    events.push(event);
    records.push({ partitionKey: country, data: Buffer.from(`${JSON.stringify(event)}\n`) });
  }
  return { events, records };
}

function countryCode(index: number): string {
  const letter = (n: number) => String.fromCharCode(65 + n);
  return `${letter(Math.floor(index / 26))}${letter(index % 26)}`;
}

/** Puts `records` in order and returns where each landed. */
async function putRecords(
  kinesis: KinesisClient,
  records: readonly StreamRecord[],
  paceMs = 0,
): Promise<RecordPosition[]> {
  const positions: RecordPosition[] = [];
  for (let i = 0; i < records.length; i += PUT_BATCH) {
    if (i > 0 && paceMs > 0) await new Promise((resolve) => setTimeout(resolve, paceMs));
    const response = await kinesis.send(
      new PutRecordsCommand({
        StreamName: config.stream.name,
        Records: records
          .slice(i, i + PUT_BATCH)
          .map((r) => ({ PartitionKey: r.partitionKey, Data: r.data })),
      }),
    );
    expect(response.FailedRecordCount ?? 0).toBe(0);
    for (const entry of response.Records ?? []) {
      positions.push({
        shardId: entry.ShardId as string,
        sequenceNumber: entry.SequenceNumber as string,
      });
    }
  }
  return positions;
}

/**
 * Polls the count of the `events` metric's day items (every purchase counts
 * there once) until `done(counted)` holds; returns that count.
 */
async function waitForShare(
  dynamodb: DynamoDBClient,
  expected: ReadonlyMap<string, unknown>,
  done: (counted: number) => boolean,
  timeoutMs = 120_000,
): Promise<number> {
  const dayItems = [...expected.keys()].filter((key) => key.startsWith('events#type=purchase|1d#'));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let counted = 0;
    for (const key of dayItems) {
      const [pk, sk] = key.split('|') as [string, string];
      const { Item } = await dynamodb.send(
        new GetItemCommand({
          TableName: config.table.name,
          Key: {
            [AGGREGATE_ATTRIBUTES.partitionKey]: { S: pk },
            [AGGREGATE_ATTRIBUTES.sortKey]: { S: sk },
          },
          ConsistentRead: true,
        }),
      );
      counted += Number(Item?.[AGGREGATE_ATTRIBUTES.count]?.N ?? 0);
    }
    if (done(counted)) return counted;
    if (Date.now() > deadline)
      throw new Error(`gave up after ${timeoutMs} ms with ${counted} of ${EVENT_COUNT} counted`);
    await delay(POLL_MS);
  }
}

/** The saved checkpoints, or `undefined` while there is no file or it holds none. */
function readCheckpoints(file: string): Record<string, string> | undefined {
  if (!existsSync(file)) return undefined;
  // Saves replace the file atomically, so it is never read half written.
  const checkpoints = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  return Object.keys(checkpoints).length > 0 ? checkpoints : undefined;
}

function isAfter(position: RecordPosition, checkpoints: Record<string, string>): boolean {
  const checkpoint = checkpoints[position.shardId];
  return checkpoint === undefined || BigInt(position.sequenceNumber) > BigInt(checkpoint);
}

/** The aggregates stored in `dir`, read through a DynamoDB emulator of its own. */
async function readStoredAggregates(dir: string) {
  const emulators = await startEmulators({
    host: config.local.host,
    ports: { dynamodb: 0 },
    dataDir: dir,
  });
  try {
    const { dynamodb } = createAwsClients(
      {
        kinesis: UNUSED_ENDPOINT,
        s3: UNUSED_ENDPOINT,
        dynamodb: `http://${config.local.host}:${emulators.ports.dynamodb}`,
      },
      config.local.region,
    );
    return await scanAggregates(dynamodb, config.table.name);
  } finally {
    await emulators.stop();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
