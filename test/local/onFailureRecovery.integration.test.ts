import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListShardsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregationSettingsOf } from '../../core/aggregates/compileMetrics.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { webShopCatalog } from '../../examples/web-shop/catalog.js';
import { aggregateDependencies } from '../../functions/aggregate/aggregateDependencies.js';
import {
  type AggregateDependencies,
  aggregateKinesisBatch,
} from '../../functions/aggregate/aggregateKinesisBatch.js';
import { DynamoAttemptTracker } from '../../functions/aggregate/DynamoAttemptTracker.js';
import { DynamoShardLedger } from '../../functions/aggregate/DynamoShardLedger.js';
import { nextSequenceNumberAfter } from '../../functions/aggregate/nextSequenceNumberAfter.js';
import { type AwsClients, LOCAL_CREDENTIALS } from '../../local/awsClients.js';
import type { RunningEmulators } from '../../local/emulators/startEmulators.js';
import {
  EventSourceMappingRunner,
  type EventSourceMappingSettings,
} from '../../local/eventSourceMapping/EventSourceMappingRunner.js';
import { CheckpointStore } from '../../local/kinesis/CheckpointStore.js';
import { createAggregatesTable } from '../../local/provisionResources.js';
import { redriveFailures } from '../../ops/redrive/redriveFailures.js';
import { sampleEvent } from '../helpers/events.js';
import { createActiveStream } from '../helpers/readStreamEvents.js';
import { seededRandom } from '../helpers/seededRandom.js';
import { startTestEmulators } from '../helpers/testEmulators.js';
import { expectedAggregates, expectMatchesGroundTruth } from './groundTruth.js';
import { readAggregates } from './readAggregates.js';

/**
 * Invariant: every record that reaches the stream is counted exactly once in
 * every figure (count, sum, min, max, histogram buckets), including records
 * the event source mapping gave up on and `npm run redrive` recovered, run
 * twice. The faults are tuned so that batches DO reach the on-failure
 * destination part-way through being applied: that is where the guarantee
 * breaks if it breaks.
 */

const BUCKET = 'recovery-test';
const config = loadConfig();

let emulators: RunningEmulators;
let clients: AwsClients;
let counter = 0;

/** Faults injected into the handler's DynamoDB client: failed aggregate updates, switchable. */
interface StoreFaults {
  /** Share of aggregate UpdateItems that fail with a 500 before reaching the table. */
  updateFailureRate: number;
  random: () => number;
  injected: number;
  /** Every request for a shard ledger item fails (throttled, unreachable). */
  ledgerDown?: boolean;
  /** DynamoDB commands the handler sent. */
  commands?: Set<string>;
}

/**
 * A DynamoDB client for the emulator that fails aggregate UpdateItems at
 * `faults.updateFailureRate` (the registry and reads are left alone), every
 * ledger request while `faults.ledgerDown`, and makes no retries of its own,
 * so every fault reaches the handler.
 */
function faultyDynamo(endpoint: string, faults: StoreFaults): DynamoDBClient {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      faults.commands?.add(context.commandName ?? '');
      const input = args.input as { Key?: { pk?: { S?: string } } };
      const item = (args.input as { Item?: { pk?: { S?: string } } }).Item;
      const pk = input.Key?.pk?.S ?? item?.pk?.S ?? '';
      if (faults.ledgerDown && pk.startsWith('shard#')) {
        faults.injected++;
        throw Object.assign(new Error('injected: throughput exceeded on the ledger item'), {
          name: 'ProvisionedThroughputExceededException',
          $fault: 'client',
        });
      }
      if (
        context.commandName === 'UpdateItemCommand' &&
        pk.includes('#') &&
        !pk.startsWith('shard#') &&
        faults.random() < faults.updateFailureRate
      ) {
        faults.injected++;
        throw Object.assign(new Error('injected: internal server error'), {
          name: 'InternalServerError',
          $fault: 'server',
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'injectStoreFaults' },
  );
  return client;
}

/** Purchases and cart events with distinct amounts per group, so min and max are checked. */
function workload(count: number, tag: string): StreamfoldEvent[] {
  const random = seededRandom(count);
  const countries = ['DE', 'FR', 'US', 'PL', 'NL'];
  const events: StreamfoldEvent[] = [];
  for (let i = 0; i < count; i++) {
    const country = countries[i % countries.length] as string;
    if (i % 3 === 0) {
      events.push(
        sampleEvent('add_to_cart', {
          id: `${tag}-${i}`,
          data: { quantity: 1 + Math.floor(random() * 50), category: `cat-${i % 4}`, country },
        }),
      );
    } else {
      events.push(
        sampleEvent('purchase', {
          id: `${tag}-${i}`,
          data: { amount: Math.round(random() * 1_000_000) / 100, country },
        }),
      );
    }
  }
  return events;
}

/** Highest sequence number put on each shard, by stream: what the runner must get past. */
const lastPut = new Map<string, Map<string, bigint>>();

/** Puts `events`, several per record, through PutRecords to a stream of `shards` shards. */
async function putEvents(streamName: string, events: readonly StreamfoldEvent[]): Promise<void> {
  const last = lastPut.get(streamName) ?? new Map<string, bigint>();
  lastPut.set(streamName, last);
  const perRecord = 4;
  const records = [];
  for (let i = 0; i < events.length; i += perRecord) {
    const lines = events.slice(i, i + perRecord).map((e) => `${JSON.stringify(e)}\n`);
    records.push({ Data: Buffer.from(lines.join('')), PartitionKey: `key-${i % 97}` });
  }
  for (let i = 0; i < records.length; i += 100) {
    const answer = await clients.kinesis.send(
      new PutRecordsCommand({ StreamName: streamName, Records: records.slice(i, i + 100) }),
    );
    expect(answer.FailedRecordCount ?? 0).toBe(0);
    for (const entry of answer.Records ?? []) {
      const sequence = BigInt(entry.SequenceNumber as string);
      if (sequence > (last.get(entry.ShardId as string) ?? -1n))
        last.set(entry.ShardId as string, sequence);
    }
  }
}

/** On-failure objects under `prefix` with their condition and record count. */
async function onFailureObjects(
  prefix: string,
): Promise<{ key: string; condition: string; batchSize: number }[]> {
  const listing = await clients.s3.send(
    new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }),
  );
  return Promise.all(
    (listing.Contents ?? []).map(async ({ Key }) => {
      const object = await clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
      const body = JSON.parse((await object.Body?.transformToString('utf8')) ?? '{}');
      return {
        key: Key as string,
        condition: body.requestContext.condition as string,
        batchSize: body.KinesisBatchInfo.batchSize as number,
      };
    }),
  );
}

interface Scenario {
  settings: Partial<EventSourceMappingSettings>;
  faults: StoreFaults;
  /** Share of invocations that "crash" after the handler returned (a function error). */
  crashRate?: number;
  /** Runs while the runner is consuming: puts the events, switches faults, stalls... */
  drive: (context: {
    stream: string;
    stall: (ms: number) => void;
    waitCaughtUp: () => Promise<void>;
  }) => Promise<void>;
}

/**
 * Runs the real aggregate handler (with the shard ledger) under the local
 * event source mapping until the stream is consumed, then removes the faults,
 * runs the recovery twice and returns what it saw.
 */
async function runScenario(scenario: Scenario) {
  const id = ++counter;
  const stream = `recovery-${id}`;
  const table = `recovery-${id}`;
  const prefix = `aws/lambda/${stream}/`;
  await createActiveStream(clients.kinesis, stream, 2);
  await createAggregatesTable(clients.dynamodb, table);
  const dynamodb = faultyDynamo(`http://127.0.0.1:${emulators.ports.dynamodb}`, scenario.faults);
  const logger = new Logger({ logLevel: 'SILENT' });
  const resources = {
    s3: clients.s3,
    tableName: table,
    rejectsBucketName: BUCKET,
    rejectsPrefix: `rejects/${table}/`,
    settings: aggregationSettingsOf(config),
    logger,
  };
  const settings: EventSourceMappingSettings = {
    batchSize: 25,
    maxBatchingWindowMs: 50,
    bisectBatchOnError: true,
    maxRetryAttempts: 1,
    maxRecordAgeMs: 3_600_000,
    startingPosition: 'TRIM_HORIZON',
    timeoutMs: 10_000,
    ...scenario.settings,
  };
  const deps: AggregateDependencies = {
    ...aggregateDependencies({ ...resources, catalog: webShopCatalog, dynamodb }),
    attempts: new DynamoAttemptTracker(new DynamoShardLedger(dynamodb, table), {
      nextRecordAfter: (stream, shardId, sequenceNumber) =>
        nextSequenceNumberAfter(clients.kinesis, stream, shardId, sequenceNumber),
      maxRecordAgeMs: settings.maxRecordAgeMs,
      ledgerRetryMs: 2_000,
    }),
  };
  const crash = seededRandom(id * 31);
  let stallUntil = 0;
  const runner = new EventSourceMappingRunner({
    kinesis: clients.kinesis,
    s3: clients.s3,
    streamName: stream,
    region: 'us-east-1',
    functionName: 'recovery-test',
    settings,
    handler: async (event: KinesisStreamEvent) => {
      const wait = stallUntil - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const { response } = await aggregateKinesisBatch(event, deps);
      if (crash() < (scenario.crashRate ?? 0)) throw new Error('injected: crashed after flushing');
      return response;
    },
    checkpoints: new CheckpointStore(),
    onFailure: { bucket: BUCKET, prefix },
  });
  // Consumed: every shard caught up with nothing buffered or in flight.
  const shards = await clients.kinesis.send(new ListShardsCommand({ StreamName: stream }));
  // Every record put so far is behind each shard's checkpoint, with nothing in flight.
  const waitCaughtUp = async () => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const progress = runner.progress();
      const puts = lastPut.get(stream) ?? new Map<string, bigint>();
      if (
        progress.length === (shards.Shards ?? []).length &&
        progress.every(
          (p) =>
            !p.invoking &&
            p.buffered === 0 &&
            BigInt(p.checkpoint ?? -1) >= (puts.get(p.shardId) ?? -1n),
        )
      ) {
        return;
      }
      if (Date.now() > deadline)
        throw new Error(`not consumed in 60 s: ${JSON.stringify(progress)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  await runner.start();
  await scenario.drive({
    stream,
    stall: (ms) => {
      stallUntil = Date.now() + ms;
    },
    waitCaughtUp,
  });
  await waitCaughtUp();
  await runner.stop();
  const beforeRecovery = await readAggregates(clients.dynamodb, table);
  const objects = await onFailureObjects(prefix);

  // The fault is fixed; the documented recovery runs, twice.
  scenario.faults.updateFailureRate = 0;
  const recover = () =>
    redriveFailures({
      s3: clients.s3,
      kinesis: clients.kinesis,
      bucket: BUCKET,
      prefix,
      aggregation: aggregateDependencies({
        ...resources,
        catalog: webShopCatalog,
        dynamodb: clients.dynamodb,
      }),
      ledger: new DynamoShardLedger(clients.dynamodb, table),
    });
  const first = await recover();
  const second = await recover();
  // And once more as if the first run had stopped before writing any marker.
  const third = await redriveFailures({
    s3: clients.s3,
    kinesis: clients.kinesis,
    bucket: BUCKET,
    prefix,
    aggregation: aggregateDependencies({
      ...resources,
      catalog: webShopCatalog,
      dynamodb: clients.dynamodb,
    }),
    ledger: new DynamoShardLedger(clients.dynamodb, table),
    markerPrefix: 'markers-of-a-run-that-never-finished/',
  });
  const ledgers = new DynamoShardLedger(clients.dynamodb, table);
  const states = await Promise.all(
    (shards.Shards ?? []).map(async (s) => (await ledgers.read(s.ShardId as string)).state),
  );
  // Every shard's gaps, for the assertions on what the faults did.
  const ledger = { state: { gaps: states.flatMap((s) => s.gaps) } };
  dynamodb.destroy();
  return {
    table,
    objects,
    beforeRecovery,
    first,
    second,
    third,
    ledger,
    after: await readAggregates(clients.dynamodb, table),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function totalCount(items: Map<string, { count: number }>, prefix: string): number {
  let total = 0;
  for (const [key, figures] of items) if (key.startsWith(prefix)) total += figures.count;
  return total;
}

beforeAll(async () => {
  ({ emulators, clients } = await startTestEmulators({ kinesis: true, s3: true, dynamodb: true }));
  await clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  clients?.kinesis.destroy();
  clients?.s3.destroy();
  clients?.dynamodb.destroy();
  await emulators?.stop();
});

describe('invariant: exactly once through the on-failure destination and its recovery', () => {
  it('counts every record once after partial item failures exhaust the retries and the recovery runs twice', async () => {
    // Prepare: 30 % of aggregate updates fail; one retry; bisect; crashes after flushing.
    const events = workload(1_500, 'partial');
    const faults: StoreFaults = {
      updateFailureRate: 0.3,
      random: seededRandom(7),
      injected: 0,
      commands: new Set(),
    };
    // Act
    const run = await runScenario({
      settings: { maxRetryAttempts: 1 },
      faults,
      crashRate: 0.05,
      drive: async ({ stream }) => putEvents(stream, events),
    });
    // Assess: batches were given up part-way through being applied...
    const truth = expectedAggregates(config, events);
    expect(faults.injected).toBeGreaterThan(0);
    expect(run.objects.length).toBeGreaterThan(0);
    expect(run.objects.every((o) => o.condition === 'RetryAttemptsExhausted')).toBe(true);
    const givenUpRecords = run.objects.reduce((sum, o) => sum + o.batchSize, 0);
    const missing =
      totalCount(truth, 'revenue#') +
      totalCount(truth, 'cart_quantity#') -
      totalCount(run.beforeRecovery, 'revenue#') -
      totalCount(run.beforeRecovery, 'cart_quantity#');
    expect(missing).toBeGreaterThan(0);
    // ...some of their events were already counted in some items (4 events a record, 3 windows).
    expect(missing).toBeLessThan(givenUpRecords * 4 * 3);
    // ...and after the recovery every figure is exact, and stays exact however often it runs.
    expect(run.first.failed).toBe(0);
    expect(run.first.redriven).toBe(run.objects.length);
    expect(run.second).toMatchObject({ redriven: 0, alreadyRedriven: run.objects.length });
    expect(run.third.objects.every((o) => o.itemsApplied === 0)).toBe(true);
    expectMatchesGroundTruth(run.after, truth);
    // The deployed function is granted dynamodb:UpdateItem and dynamodb:GetItem only (AggregateFunction).
    expect([...(faults.commands ?? [])].sort()).toEqual(['GetItemCommand', 'UpdateItemCommand']);
  }, 180_000);

  it('counts every record once when records expire by maxRecordAge, tried or not, and the recovery runs twice', async () => {
    // Prepare: retries never run out, but records older than 2 s are given up: while the store
    // fails most updates (tried records expire), and while the function stalls (untried ones).
    const early = workload(1_000, 'age-early');
    const middle = workload(60, 'age-middle');
    const stalled = workload(60, 'age-stalled');
    const late = workload(600, 'age-late');
    const tail = workload(30, 'age-tail');
    const faults: StoreFaults = { updateFailureRate: 0.6, random: seededRandom(11), injected: 0 };
    // Act
    const run = await runScenario({
      settings: { maxRetryAttempts: 10_000, maxRecordAgeMs: 2_000, bisectBatchOnError: false },
      faults,
      drive: async ({ stream, stall, waitCaughtUp }) => {
        // Tried and partly applied, then too old.
        await putEvents(stream, early);
        await sleep(3_000);
        faults.updateFailureRate = 0;
        await putEvents(stream, middle);
        await waitCaughtUp();
        // Never tried: they arrive while the function is stalled and are too old once it returns.
        stall(3_000);
        await putEvents(stream, stalled);
        await sleep(300);
        await putEvents(stream, late);
        await sleep(3_500);
        await putEvents(stream, tail);
      },
    });
    // Assess
    const all = [...early, ...middle, ...stalled, ...late, ...tail];
    expect(run.objects.length).toBeGreaterThan(0);
    expect(run.objects.every((o) => o.condition === 'RecordAgeExceeded')).toBe(true);
    // One gap of tried records (the store failing), one of records never tried (the stall).
    expect(run.ledger.state.gaps.length).toBeGreaterThanOrEqual(2);
    expect(run.first.failed).toBe(0);
    expect(run.second).toMatchObject({ redriven: 0, alreadyRedriven: run.objects.length });
    expect(run.third.objects.every((o) => o.itemsApplied === 0)).toBe(true);
    expectMatchesGroundTruth(run.after, expectedAggregates(config, all));
  }, 180_000);

  it('counts every record once when batches are given up while the shard ledger is unreachable', async () => {
    // Prepare: for a while no invocation can read or write the ledger, so the batches of that
    // time are given up without a trace of their attempts; then it is back.
    const before = workload(600, 'ledger-before');
    const during = workload(600, 'ledger-during');
    const after = workload(300, 'ledger-after');
    const faults: StoreFaults = { updateFailureRate: 0, random: seededRandom(5), injected: 0 };
    // Act
    const run = await runScenario({
      settings: { maxRetryAttempts: 1 },
      faults,
      drive: async ({ stream, waitCaughtUp }) => {
        await putEvents(stream, before);
        await waitCaughtUp();
        faults.ledgerDown = true;
        await putEvents(stream, during);
        // Two attempts, each trying the ledger for 2 s, then the give-up: the ledger stays
        // down until a give-up has written its on-failure record, however slow the machine.
        const deadline = Date.now() + 60_000;
        while ((await onFailureObjects(`aws/lambda/${stream}/`)).length === 0) {
          if (Date.now() > deadline) throw new Error('no batch given up in 60 s');
          await sleep(250);
        }
        faults.ledgerDown = false;
        await putEvents(stream, after);
      },
    });
    // Assess
    const all = [...before, ...during, ...after];
    expect(faults.injected).toBeGreaterThan(0);
    expect(run.objects.length).toBeGreaterThan(0);
    expect(run.ledger.state.gaps.length).toBeGreaterThan(0);
    expect(run.first.failed).toBe(0);
    expect(run.third.objects.every((o) => o.itemsApplied === 0)).toBe(true);
    expectMatchesGroundTruth(run.after, expectedAggregates(config, all));
  }, 180_000);
});
