/**
 * Shared scaffolding for the tests in this folder: real dynalite and s3rver,
 * the real handler core (`aggregateKinesisBatch`) with the real shard ledger,
 * and the real recovery (`redriveFailures`). Deliveries are scripted by each
 * test to mimic what the event source mapping does (retries, bisected halves,
 * partial-failure checkpoints, give-ups to the on-failure destination).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, expect } from 'vitest';
import { aggregationSettingsOf } from '../../../core/aggregates/compileMetrics.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../../core/events/envelope.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import { aggregateDependencies } from '../../../functions/aggregate/aggregateDependencies.js';
import {
  type AggregateDependencies,
  aggregateKinesisBatch,
} from '../../../functions/aggregate/aggregateKinesisBatch.js';
import {
  type AttemptTracker,
  DynamoAttemptTracker,
} from '../../../functions/aggregate/DynamoAttemptTracker.js';
import { DynamoShardLedger } from '../../../functions/aggregate/DynamoShardLedger.js';
import type { RejectEntry } from '../../../functions/aggregate/RejectsSink.js';
import { type AwsClients, LOCAL_CREDENTIALS } from '../../../local/awsClients.js';
import type { RunningEmulators } from '../../../local/emulators/startEmulators.js';
import { createAggregatesTable } from '../../../local/provisionResources.js';
import { type RedriveSummary, redriveFailures } from '../../../ops/redrive/redriveFailures.js';
import { sampleEvent } from '../../helpers/events.js';
import {
  kinesisStreamEvent,
  type RecordSpec,
  TEST_SHARD_ID,
} from '../../helpers/kinesisStreamEvent.js';
import { startTestEmulators } from '../../helpers/testEmulators.js';
import { expectedAggregates } from '../groundTruth.js';
import { readAggregates, type StoredAggregate } from '../readAggregates.js';

export const config = loadConfig();
export const BUCKET = 'recovery';
export const SHARD = TEST_SHARD_ID;
export const STREAM_ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/test';

export interface Harness {
  emulators: RunningEmulators;
  clients: AwsClients;
  endpoint: string;
}

export async function startHarness(): Promise<Harness> {
  const { emulators, clients } = await startTestEmulators({ dynamodb: true, s3: true });
  await clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  return { emulators, clients, endpoint: `http://127.0.0.1:${emulators.ports.dynamodb}` };
}

export async function stopHarness(h: Harness | undefined): Promise<void> {
  h?.clients.kinesis.destroy();
  h?.clients.s3.destroy();
  h?.clients.dynamodb.destroy();
  await h?.emulators.stop();
}

/**
 * Starts the harness before the file's tests and stops it after them.
 *
 * @returns the running harness, for use inside tests
 */
export function useHarness(): () => Harness {
  let h: Harness | undefined;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await stopHarness(h);
  });
  return () => {
    if (!h) throw new Error('the harness is used outside a test');
    return h;
  };
}

let tables = 0;
export async function newTable(h: Harness, name = 'rt'): Promise<string> {
  const table = `${name}-${++tables}-${Date.now()}`;
  await createAggregatesTable(h.clients.dynamodb, table);
  return table;
}

/**
 * What a fault rule sees of one DynamoDB request. Return an error to fail
 * the request before it is sent, or undefined to let it through.
 */
export interface RequestView {
  command: string;
  input: Record<string, unknown>;
  /** `pk` of the key, for UpdateItem/GetItem/PutItem. */
  pk: string | undefined;
  sk: string | undefined;
}

export type FaultRule = (request: RequestView) => Promise<Error | undefined> | Error | undefined;

/** A DynamoDB client whose requests pass `rules` first (no SDK retries, so a fault is one failure). */
export function faultyClient(
  h: Harness,
  rules: { current: FaultRule | undefined },
): DynamoDBClient {
  const client = new DynamoDBClient({
    endpoint: h.endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const key = (input.Key ?? input.Item) as Record<string, { S?: string }> | undefined;
      const rule = rules.current;
      if (rule) {
        const error = await rule({
          command: context.commandName as string,
          input,
          pk: key?.pk?.S,
          sk: key?.sk?.S,
        });
        if (error) throw error;
      }
      return next(args);
    },
    { step: 'initialize', name: 'faultRules' },
  );
  return client;
}

/** Throttles every update of a `revenue#country=FR` item while `on()` holds. */
export function frThrottled(on: () => boolean): FaultRule {
  return (r) =>
    on() && r.command === 'UpdateItemCommand' && r.pk === 'revenue#country=FR'
      ? throttled()
      : undefined;
}

export function throttled(): Error {
  return Object.assign(new Error('Throughput exceeds the current capacity (injected)'), {
    name: 'ProvisionedThroughputExceededException',
    $fault: 'client',
  });
}

export function refused(): Error {
  return Object.assign(
    new Error('ExpressionAttributeValues contains invalid value: Number underflow (injected)'),
    { name: 'ValidationException', $fault: 'client' },
  );
}

/** The aggregate handler's dependencies as the Lambda builds them, over `client`. */
export function handlerDeps(
  h: Harness,
  client: DynamoDBClient,
  table: string,
  options: { now: number; attempts?: AttemptTracker | 'none'; rejects?: RejectEntry[] },
): AggregateDependencies {
  const base = aggregateDependencies({
    catalog: webShopCatalog,
    dynamodb: client,
    s3: h.clients.s3,
    tableName: table,
    rejectsBucketName: BUCKET,
    rejectsPrefix: `rejects/${table}/`,
    settings: aggregationSettingsOf(config),
    logger: new Logger({ logLevel: 'SILENT' }),
  });
  const sink = options.rejects;
  return {
    ...base,
    ...(sink ? { rejects: { write: async (entries) => void sink.push(...entries) } } : {}),
    ...(options.attempts === 'none'
      ? {}
      : {
          attempts:
            options.attempts ?? new DynamoAttemptTracker(new DynamoShardLedger(client, table)),
        }),
    now: () => options.now,
  };
}

/**
 * The handler as live invocations see it while the test moves `clock`: a
 * client with `rules` as faults, the shard ledger over it (records expire
 * after `maxRecordAgeMs`), and `deps(now)`, the handler's dependencies for an
 * invocation started at `now` (by default the clock's time).
 */
export function clockedHandler(
  h: Harness,
  table: string,
  rules: { current: FaultRule | undefined },
  clock: () => number,
  options: { maxRecordAgeMs?: number } = {},
) {
  const client = faultyClient(h, rules);
  const attempts = new DynamoAttemptTracker(new DynamoShardLedger(client, table), {
    ...(options.maxRecordAgeMs === undefined ? {} : { maxRecordAgeMs: options.maxRecordAgeMs }),
    now: clock,
  });
  const deps = (now = clock()) => handlerDeps(h, client, table, { now, attempts });
  return { client, attempts, deps };
}

/** {@link clockedHandler} with the clock stopped at `now` and records expiring after an hour. */
export function liveHandler(
  h: Harness,
  table: string,
  rules: { current: FaultRule | undefined },
  now: number,
) {
  const { client, deps } = clockedHandler(h, table, rules, () => now, {
    maxRecordAgeMs: HOUR_MS,
  });
  return { client, deps: deps() };
}

const HOUR_MS = 3_600_000;

/**
 * The incident the expiry scenarios start from, with records expiring after
 * an hour: 1..2 are counted; 3..4 fail from 4 (the FR items are throttled),
 * 4 is retried twice and given up (on-failure object `a` under `prefix`).
 * Also returned: 5..6, to expire untried, and 7..8, put two hours later (the
 * same items). The clock is at `t0` until `setClock` moves it.
 */
export async function giveUpDuringIncident(h: Harness, table: string) {
  const t0 = midHour();
  let clock = t0;
  const t = new Date(t0 - 60_000).toISOString();
  let frDown = false;
  const rules: { current: FaultRule | undefined } = { current: frThrottled(() => frDown) };
  const { client, deps } = clockedHandler(h, table, rules, () => clock, {
    maxRecordAgeMs: HOUR_MS,
  });
  const b0 = [rec(1, [purchase(10, 'DE', t)], t0), rec(2, [purchase(20, 'FR', t)], t0)];
  const b1 = [rec(3, [purchase(5, 'DE', t)], t0), rec(4, [purchase(7, 'FR', t)], t0)];
  const expired = [rec(5, [purchase(3, 'FR', t)], t0), rec(6, [purchase(1, 'DE', t)], t0)];
  const b3 = [
    rec(7, [purchase(30, 'FR', t)], t0 + 2 * HOUR_MS),
    rec(8, [purchase(40, 'DE', t)], t0 + 2 * HOUR_MS),
  ];
  expect(await deliver(deps(), b0)).toBeUndefined();
  frDown = true;
  if ((await deliver(deps(), b1)) !== b1[1]?.sequenceNumber)
    throw new Error('3..4 did not fail from 4');
  for (let i = 0; i < 2; i++) await deliver(deps(), b1.slice(1));
  frDown = false;
  const prefix = 'aws/lambda/incident/';
  await putOnFailure(h, prefix, b1.slice(1), { timestamp: new Date(t0).toISOString(), name: 'a' });
  const setClock = (ms: number) => {
    clock = ms;
  };
  return { client, deps, setClock, t0, prefix, b0, b1, expired, b3 };
}

/** A realistic 56-digit sequence number whose order follows `n`. */
export function seq(n: number): string {
  return `4959033827149025660855969253836157109592157598913${String(n).padStart(7, '0')}`;
}

/** One record: sequence `seq(n)`, the given events as NDJSON lines. */
export function rec(n: number, events: readonly StreamfoldEvent[], arrivalMs?: number): RecordSpec {
  return {
    sequenceNumber: seq(n),
    lines: events,
    ...(arrivalMs === undefined ? {} : { arrivalMs }),
  };
}

/** The events the records hold, in order. */
export function eventsOf(specs: readonly RecordSpec[]): StreamfoldEvent[] {
  return specs.flatMap((r) =>
    'lines' in r ? r.lines.filter((l): l is StreamfoldEvent => typeof l !== 'string') : [],
  );
}

export function batch(specs: readonly RecordSpec[]): KinesisStreamEvent {
  return kinesisStreamEvent(specs, SHARD);
}

/** Delivers `specs` once; returns the sequence number reported failed, if any. */
export async function deliver(
  deps: AggregateDependencies,
  specs: readonly RecordSpec[],
): Promise<string | undefined> {
  const { response } = await aggregateKinesisBatch(batch(specs), deps);
  return response.batchItemFailures[0]?.itemIdentifier;
}

/** A purchase at `time`. */
export function purchase(amount: number, country: string, time: string): StreamfoldEvent {
  return sampleEvent('purchase', { time, data: { amount, country } });
}

/**
 * Writes an on-failure invocation record the way Lambda (and the local event
 * source mapping) writes one for an S3 destination, with the full payload.
 */
export async function putOnFailure(
  h: Harness,
  prefix: string,
  specs: readonly RecordSpec[],
  options: { condition?: string; timestamp: string; name?: string },
): Promise<string> {
  const event = batch(specs);
  const first = specs[0] as RecordSpec;
  const last = specs.at(-1) as RecordSpec;
  const body = {
    requestContext: {
      requestId: 'r',
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:aggregate',
      condition: options.condition ?? 'RetryAttemptsExhausted',
      approximateInvokeCount: 3,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: options.timestamp,
    KinesisBatchInfo: {
      shardId: SHARD,
      startSequenceNumber: first.sequenceNumber,
      endSequenceNumber: last.sequenceNumber,
      batchSize: specs.length,
      streamArn: STREAM_ARN,
    },
    payload: JSON.stringify(event),
  };
  const key = `${prefix}${options.name ?? `${first.sequenceNumber}-${last.sequenceNumber}`}`;
  await h.clients.s3.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: JSON.stringify(body) }),
  );
  return key;
}

/** `npm run redrive` over `prefix`, against `table`, through `client`. */
export async function redrive(
  h: Harness,
  client: DynamoDBClient,
  table: string,
  prefix: string,
  extra: { markerPrefix?: string } = {},
): Promise<RedriveSummary> {
  return redriveFailures({
    s3: h.clients.s3,
    kinesis: h.clients.kinesis,
    bucket: BUCKET,
    prefix,
    aggregation: aggregateDependencies({
      catalog: webShopCatalog,
      dynamodb: client,
      s3: h.clients.s3,
      tableName: table,
      rejectsBucketName: BUCKET,
      rejectsPrefix: `rejects/${table}/`,
      settings: aggregationSettingsOf(config),
      logger: new Logger({ logLevel: 'SILENT' }),
    }),
    ledger: new DynamoShardLedger(client, table),
    markerPrefix: extra.markerPrefix ?? `markers/${prefix}`,
  });
}

/** Figures that differ between the table and the ground truth of `events`, as readable lines. */
export async function differences(
  h: Harness,
  table: string,
  events: readonly StreamfoldEvent[],
  options: { ignoreZeroBuckets?: boolean } = {},
): Promise<string[]> {
  const stored = await readAggregates(h.clients.dynamodb, table);
  if (options.ignoreZeroBuckets) {
    for (const figures of stored.values()) {
      if (!figures.buckets) continue;
      figures.buckets = Object.fromEntries(
        Object.entries(figures.buckets).filter(([, n]) => n !== 0),
      );
    }
  }
  const expected = expectedAggregates(config, events);
  const out: string[] = [];
  const keys = new Set([...stored.keys(), ...expected.keys()]);
  for (const key of [...keys].sort()) {
    const got = stored.get(key);
    const want = expected.get(key);
    const show = (f: StoredAggregate | undefined) =>
      f === undefined
        ? 'missing'
        : JSON.stringify({
            count: f.count,
            sum: f.sum,
            min: f.min,
            max: f.max,
            buckets:
              f.buckets &&
              Object.fromEntries(Object.entries(f.buckets).sort(([a], [b]) => (a < b ? -1 : 1))),
          });
    if (show(got) !== show(want)) out.push(`${key}: stored ${show(got)} expected ${show(want)}`);
  }
  return out;
}

/** A fixed clock: the middle of the current hour, so events a few minutes apart share hour and day. */
export function midHour(): number {
  const now = Date.now();
  return Math.floor(now / 3_600_000) * 3_600_000 + 20 * 60_000 - 3_600_000;
}
