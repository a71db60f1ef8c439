import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import { aggregationSettingsOf } from '../core/aggregates/compileMetrics.js';
import {
  AGGREGATE_SERVICE_NAME,
  aggregateFunctionEnvironment,
} from '../core/config/aggregateFunctionEnvironment.js';
import { checkSampleEvents } from '../core/config/checkSampleEvents.js';
import type { StreamfoldConfig } from '../core/config/configSchema.js';
import { parseDuration } from '../core/duration.js';
import type { BatchSummary } from '../functions/aggregate/aggregateKinesisBatch.js';
import { ingestDependenciesFor } from '../functions/ingest/ingestDependenciesFor.js';
import { archiveTableColumns } from '../infra/archiveTableColumns.js';
import { ANALYTICS_DEFAULTS, PROJECT_NAME } from '../infra/defaults.js';
import { KinesisProducer } from '../producers/KinesisProducer.js';
import { Archiver } from './archiver/Archiver.js';
import {
  type AwsClients,
  createAwsClients,
  createFirehoseClient,
  LOCAL_CREDENTIALS,
  type ServiceEndpoints,
} from './awsClients.js';
import { type ChaosProxy, startChaosProxy } from './chaos/ChaosProxy.js';
import {
  type ChaosCounters,
  dynamodbFaults,
  emptyChaosCounters,
  kinesisFaults,
} from './chaos/chaosFaults.js';
import { DemoProducer } from './demo/DemoProducer.js';
import type { EmulatorExitedError } from './emulators/EmulatorExitedError.js';
import { EMULATOR_MAX_REQUEST_BYTES } from './emulators/emulatorRequestLimits.js';
import { type RunningEmulators, startEmulators } from './emulators/startEmulators.js';
import {
  EventSourceMappingRunner,
  type KinesisHandler,
  type ShardProgress,
} from './eventSourceMapping/EventSourceMappingRunner.js';
import { LocalFirehose } from './firehose/LocalFirehose.js';
import { createIngestRoute } from './http/createIngestRoute.js';
import { HttpRouter } from './http/HttpRouter.js';
import { healthHistoryRoute } from './http/healthHistoryRoute.js';
import { healthRoute, type RuntimeHealth } from './http/healthRoute.js';
import { mountDashboard } from './http/mountDashboard.js';
import { mountQueryApi } from './http/mountQueryApi.js';
import { startHttpServer } from './http/startHttpServer.js';
import { CheckpointStore } from './kinesis/CheckpointStore.js';
import { PipelineHealthHistory } from './PipelineHealthHistory.js';
import { provisionResources } from './provisionResources.js';

/** How long a shutdown waits for the handler and archiver to catch up, ms. */
const SHUTDOWN_DRAIN_TIMEOUT_MS = 30_000;
/** How long each last write may take at a stop with an emulator down for good, ms. */
const DOWN_STOP_TIMEOUT_MS = 5_000;

/** Options of {@link startLocalPipeline}. */
export interface LocalPipelineOptions {
  config: StreamfoldConfig;
  /** Persist emulator state and checkpoints here; in memory when omitted. */
  dataDir?: string;
  /** Use port 0 for every emulator and the HTTP server (tests); otherwise the configured ports. */
  ephemeralPorts?: boolean;
  /** Demo producer rate, events/s; 0 turns it off. @default config.local.demoRate */
  demoRate?: number;
  /** Powertools log level of the handler. @default 'WARN' */
  handlerLogLevel?: string;
  /** Told about notable runtime events (retries, on-failure, errors, emulator restarts). */
  onNotice?: (message: string) => void;
  /**
   * Told once when a part of the runtime is down for good: an emulator that died with its
   * state in memory (no `dataDir`), or one that died more often than
   * `EMULATOR_RESTART_POLICY` allows. `/health` reports it down from then on; the caller
   * should `stop()` the pipeline, which then does not wait for a drain that cannot come.
   *
   * @default - a notice
   */
  onPartDown?: (error: EmulatorExitedError) => void;
  /**
   * Inject faults at `config.local.chaos` rates: proxies in front of Kinesis and
   * DynamoDB (at their configured ports; the emulators move to free ones), and
   * handler crashes, timeouts and duplicate deliveries in the event source mapping.
   */
  chaos?: boolean;
  /** Random source of the chaos faults (tests make it reproducible). @default Math.random */
  chaosRandom?: () => number;
}

/** The Glue database named in the error documents of records the local archiver cannot convert. */
const LOCAL_GLUE_DATABASE = `${PROJECT_NAME}_local`;

/** Counters shown by the status line. */
export interface PipelineStatus {
  produced: number;
  aggregated: number;
  rejected: number;
  archivedEvents: number;
  archiveObjects: number;
  /**
   * Records the archiver could not convert to Parquet (`archive.format` `'parquet'`), written
   * under the error prefix as `format-conversion-failed`; always 0 with `'json'`.
   */
  archiveConversionFailures: number;
  sentToOnFailure: number;
  iteratorLagMs: number;
  /** Events the local direct-PUT delivery stream wrote to the archive (0 with an external Firehose). */
  directPutArchivedEvents: number;
  /** Faults injected so far; all zero unless started with `chaos`. */
  faults: ChaosCounters;
}

/** The direct-PUT delivery stream of a running local pipeline. */
export interface LocalDirectPut {
  /** Firehose endpoint: the local one, or `local.endpoints.firehose`. */
  endpoint: string;
  deliveryStreamName: string;
  /** A client for `endpoint`, for a `FirehoseProducer`. */
  client: FirehoseClient;
}

/** A running local pipeline. */
export interface LocalPipeline {
  endpoints: ServiceEndpoints & { firehose: string };
  clients: AwsClients;
  /** Base URL of the HTTP server (`POST <ingest.path>`, `GET /health`), for example `http://127.0.0.1:4570`. */
  httpUrl: string;
  /** The direct-PUT delivery stream producers can send to with `FirehoseProducer`. */
  directPut: LocalDirectPut;
  /** The producer the demo uses; tests may put their own events through it. */
  producer: KinesisProducer;
  /**
   * Process id of each emulator started (none for a service replaced by an external endpoint);
   * read it again after a restart.
   */
  readonly emulatorPids: RunningEmulators['pids'];
  status(): PipelineStatus;
  /** Whether each emulator is up, as `GET /health` answers. */
  health(): RuntimeHealth;
  /** Where the event source mapping stands on each shard (checkpoint, lag, whether caught up). */
  shardProgress(): ShardProgress[];
  /** Resolves once every record in the stream is aggregated and archived. */
  waitForDrain(timeoutMs?: number): Promise<void>;
  /**
   * Stops the HTTP server (letting requests in flight finish), stops the demo, flushes the
   * producer, drains the handler and archiver, writes the direct-PUT buffer, and stops the
   * Firehose endpoint and the emulators. With a part down for good, it saves the checkpoints
   * and stops without waiting for a drain.
   */
  stop(): Promise<void>;
}

/**
 * Starts the whole pipeline on loopback: emulators (unless replaced by
 * external endpoints), resources from the configuration, the event source
 * mapping running the real aggregate handler module, the archiver, the
 * Firehose endpoint with the direct-PUT delivery stream (unless
 * `local.endpoints.firehose` replaces it), and the demo producer.
 */
export async function startLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipeline> {
  const { config } = options;
  const notice = options.onNotice ?? (() => undefined);
  // A generator of the wrong shape is the configuration's mistake: say so before anything starts.
  if ((options.demoRate ?? config.local.demoRate) > 0) checkSampleEvents(config);
  const { host, ports, endpoints: external, allowHosts } = config.local;
  const chaos = options.chaos === true;
  const want = (name: 'kinesis' | 'dynamodb' | 's3') =>
    external[name]
      ? undefined
      : options.ephemeralPorts || (chaos && name !== 's3')
        ? 0
        : ports[name];
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  // Read before anything starts, so a damaged checkpoint file stops the start at once.
  const checkpointFile = (name: string) =>
    options.dataDir ? join(options.dataDir, `${name}-checkpoints.json`) : undefined;
  const aggregateCheckpoints = new CheckpointStore({
    file: checkpointFile('aggregate'),
    recovery:
      'Delete it to aggregate the stream again from its start (the per-shard watermarks of the ' +
      'aggregates count no record twice, but records older than aggregation.maxRecordAge ' +
      `(${config.aggregation.maxRecordAge}) go to the on-failure destination), or restore it from a copy.`,
  });
  const archiveCheckpoints = new CheckpointStore({
    file: checkpointFile('archive'),
    recovery:
      "Delete it to start a new archive at the stream's LATEST position (records not archived yet " +
      'are then not archived), write {"createdAt": "<ISO time>"} to it to archive again what ' +
      'arrived since then (their ids tell copies apart), or restore it from a copy.',
  });
  // Parts down for good; the pipeline cannot drain while one is.
  const partsDown: EmulatorExitedError[] = [];
  const emulators = await startEmulators({
    host,
    ports: { kinesis: want('kinesis'), dynamodb: want('dynamodb'), s3: want('s3') },
    allowHosts,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    onExit: (error, restarting) => {
      if (restarting) notice(error.message);
    },
    onRestarted: (name, pid, downMs) =>
      notice(`${name} emulator restarted (pid ${pid}), down for ${downMs} ms`),
    onGiveUp: (error) => {
      partsDown.push(error);
      (options.onPartDown ?? ((e: EmulatorExitedError) => notice(e.message)))(error);
    },
  });
  // An invocation waits while an emulator restarts instead of failing against it: each failure
  // spends one of the batch's maxRetryAttempts, and a few seconds of restart would spend them all
  // and send the batch to the on-failure destination, uncounted. Stopping releases the wait (the
  // batch stays after the checkpoint, for the next start).
  let releaseWaiting: (error: Error) => void = () => undefined;
  const stopping = new Promise<never>((_resolve, reject) => {
    releaseWaiting = reject;
  });
  stopping.catch(() => undefined);
  const whenEmulatorsUp = () => Promise.race([emulators.whenUp(), stopping]);
  const local = (port: number | undefined) => `http://${host}:${port}`;
  const endpoints: ServiceEndpoints = {
    kinesis: external.kinesis ?? local(emulators.ports.kinesis),
    dynamodb: external.dynamodb ?? local(emulators.ports.dynamodb),
    s3: external.s3 ?? local(emulators.ports.s3),
  };
  const faults = emptyChaosCounters();
  const proxies: ChaosProxy[] = [];
  if (chaos) {
    // Every client, the handler's included, goes through the proxies, so faults arrive on the wire.
    const random = options.chaosRandom ?? Math.random;
    for (const [name, decide] of [
      ['kinesis', kinesisFaults(config.local.chaos, faults, random)],
      ['dynamodb', dynamodbFaults(config.local.chaos, faults, random)],
    ] as const) {
      const proxy = await startChaosProxy({
        host,
        port: options.ephemeralPorts ? 0 : ports[name],
        target: endpoints[name],
        decide,
        allowHosts,
        maxRequestBytes: EMULATOR_MAX_REQUEST_BYTES[name],
      });
      proxies.push(proxy);
      endpoints[name] = proxy.endpoint;
    }
  }
  const clients = createAwsClients(endpoints, config.local.region);
  await provisionResources(config, clients);

  const { handler, processingTotals } = await loadAggregateHandler(
    config,
    endpoints,
    options.handlerLogLevel ?? 'WARN',
  );
  let sentToOnFailure = 0;
  const esm = new EventSourceMappingRunner({
    kinesis: clients.kinesis,
    s3: clients.s3,
    streamName: config.stream.name,
    region: config.local.region,
    functionName: AGGREGATE_SERVICE_NAME,
    memorySizeMb: config.aggregation.memorySize,
    settings: {
      batchSize: config.aggregation.batchSize,
      maxBatchingWindowMs: ms(config.aggregation.maxBatchingWindow),
      bisectBatchOnError: config.aggregation.bisectBatchOnError,
      maxRetryAttempts: config.aggregation.maxRetryAttempts,
      maxRecordAgeMs: ms(config.aggregation.maxRecordAge),
      startingPosition: config.aggregation.startingPosition,
      timeoutMs: ms(config.aggregation.timeout),
    },
    handler: async (event, context) => {
      await whenEmulatorsUp();
      return handler(event, context);
    },
    ...(chaos
      ? {
          chaos: {
            settings: config.local.chaos,
            counters: faults,
            ...(options.chaosRandom ? { random: options.chaosRandom } : {}),
          },
        }
      : {}),
    checkpoints: aggregateCheckpoints,
    onFailure: { bucket: config.rejects.bucketName, prefix: config.rejects.onFailurePrefix },
    onInvoke: (outcome) => {
      if (outcome.result === 'sent-to-on-failure') {
        sentToOnFailure += outcome.records;
        notice(
          `${outcome.records} records of ${outcome.shardId} sent to the on-failure destination (${outcome.detail})`,
        );
      } else if (outcome.result === 'function-error' && !chaos) {
        // Under chaos, function errors are the point; the status line counts them.
        notice(`handler error on ${outcome.shardId}: ${outcome.detail}`);
      }
    },
  });
  let archivedEvents = 0;
  let archiveObjects = 0;
  let archiveConversionFailures = 0;
  /** When the newest archive object (either delivery stream) was written, ms since the epoch. */
  let newestArchiveAtMs: number | undefined;
  const archiver = new Archiver({
    kinesis: clients.kinesis,
    s3: clients.s3,
    streamName: config.stream.name,
    deliveryStreamName: `${config.stream.name}-archive`,
    bucket: config.archive.bucketName,
    prefix: config.archive.prefix,
    bufferingSizeBytes: config.archive.bufferingSizeMiB * 1024 * 1024,
    bufferingIntervalMs: ms(config.archive.bufferingInterval),
    checkpoints: archiveCheckpoints,
    ...(config.archive.format === 'parquet'
      ? {
          parquet: {
            columns: archiveTableColumns(config.catalog),
            errorOutputPrefix: config.archive.errorOutputPrefix,
            databaseName: LOCAL_GLUE_DATABASE,
            tableName: ANALYTICS_DEFAULTS.tableName,
          },
        }
      : {}),
    onDelivered: (delivery) => {
      archivedEvents += delivery.lines;
      archiveConversionFailures += delivery.conversionFailures;
      if (delivery.conversionFailures > 0) {
        notice(
          `archive: ${delivery.conversionFailures} records could not be converted to Parquet; they are under ${config.archive.errorOutputPrefix.replace('!{firehose:error-output-type}', 'format-conversion-failed')}`,
        );
      }
      if (delivery.bytes > 0) archiveObjects++;
      newestArchiveAtMs = Date.now();
    },
    onError: (error) => notice(`archive write failed, will retry: ${String(error)}`),
  });
  await Promise.all([esm.start(), archiver.start()]);
  // Saved while running, so a crash replays only the last seconds (see CHECKPOINT_SAVE_INTERVAL_MS).
  for (const checkpoints of [aggregateCheckpoints, archiveCheckpoints]) {
    checkpoints.startPeriodicSave((error) =>
      notice(`could not save ${checkpoints.file}, will retry: ${String(error)}`),
    );
  }

  let directPutArchivedEvents = 0;
  const firehose = external.firehose
    ? undefined
    : await LocalFirehose.start({
        host,
        port: options.ephemeralPorts ? 0 : ports.firehose,
        allowHosts,
        region: config.local.region,
        s3: clients.s3,
        deliveryStreams: [
          {
            deliveryStreamName: config.directPut.deliveryStreamName,
            bucket: config.archive.bucketName,
            prefix: config.directPut.prefix,
            errorOutputPrefix: config.directPut.errorOutputPrefix,
            bufferingSizeBytes: config.archive.bufferingSizeMiB * 1024 * 1024,
            bufferingIntervalMs: ms(config.archive.bufferingInterval),
          },
        ],
        onDelivered: (_stream, delivery) => {
          directPutArchivedEvents += delivery.lines;
          newestArchiveAtMs = Date.now();
        },
        onError: (stream, error) =>
          notice(`direct-PUT write of ${stream} failed, will retry: ${String(error)}`),
      });
  const firehoseEndpoint = external.firehose ?? (firehose as LocalFirehose).endpoint;

  const producer = new KinesisProducer({
    client: clients.kinesis,
    streamName: config.stream.name,
    catalog: config.catalog,
  });
  const ingest = ingestDependenciesFor(config, config.catalog, producer, {
    warn: (message, details) => notice(`ingest: ${message} ${JSON.stringify(details)}`),
  });
  const router = new HttpRouter({ allowOrigins: config.ingest.allowOrigins })
    .add('POST', config.ingest.path, createIngestRoute(ingest))
    .add(
      'GET',
      '/health',
      healthRoute(() => pipeline.health()),
    );
  mountDashboard(router);
  router.onError = (error, request) =>
    notice(`HTTP ${request.method} ${request.url} failed: ${String(error)}`);
  // The query API reads the table directly; `pipeline` is assigned below, before any request.
  const queryApi = mountQueryApi(router, {
    dynamodb: clients.dynamodb,
    tableName: config.table.name,
    settings: config,
    now: () => Date.now(),
    status: () => pipeline.status(),
    health: () => pipeline.health(),
    eventsOverGroupCap: () => processingTotals.cappedMetrics,
    archiveFormat: config.archive.format,
    onError: (error) => notice(`query API: ${String(error)}`),
  });
  // The dashboard's health charts: one sample a second, the last 15 minutes.
  const healthHistory = new PipelineHealthHistory({
    read: () => ({
      produced: producer.stats.eventsAcknowledged,
      folded: processingTotals.eventsFolded,
      rejectedByCode: processingTotals.eventsRejectedByCode as Record<string, number>,
      sentToOnFailure,
      iteratorLagMsByShard: Object.fromEntries(
        esm.progress().map((p) => [p.shardId, p.millisBehindLatest]),
      ),
      newestArchiveAtMs,
      eventsOverGroupCap: processingTotals.eventsOverGroupCap,
      fullGroupCaps: processingTotals.cappedMetrics.map((capped) => capped.metric),
      faults: chaos ? faults : undefined,
    }),
  });
  router.add('GET', '/api/health/history', healthHistoryRoute(healthHistory));
  healthHistory.start();
  const http = await startHttpServer({
    host,
    port: options.ephemeralPorts ? 0 : ports.http,
    router,
    allowHosts,
    // An ingest request waits at most acknowledgeTimeout for the stream; give it a second more.
    stopTimeoutMs: ingest.acknowledgeTimeoutMs + 1_000,
  });
  const demoRate = options.demoRate ?? config.local.demoRate;
  if (demoRate > 0 && !config.sampleEvents) {
    notice('demo producer off: the configuration declares no sampleEvents to send');
  }
  const demo =
    demoRate > 0 && config.sampleEvents
      ? new DemoProducer(producer, config.sampleEvents, demoRate)
      : undefined;
  if (demo) {
    demo.onError = (error) => notice(`demo producer: ${String(error)}`);
    demo.start();
  }

  const waitForDrain = async (timeoutMs = 120_000): Promise<void> => {
    await producer.flush();
    // Everything acknowledged is in the stream now: a shard is drained once a read that
    // started after this found nothing.
    const since = Date.now();
    esm.pollNow();
    const deadline = since + timeoutMs;
    // Two caught-up observations in a row, a poll apart, so a record in transit is not missed.
    let streak = 0;
    while (streak < 2) {
      if (Date.now() > deadline) throw new Error(`pipeline did not drain within ${timeoutMs} ms`);
      await archiver.flush();
      streak = caughtUp(since) ? streak + 1 : 0;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    await archiver.flush();
    await firehose?.flush();
  };
  const caughtUp = (since: number) =>
    esm.progress().every((p) => p.caughtUp && !p.invoking && p.emptyReadStartedAt >= since) &&
    archiver.drained;
  const pipeline: LocalPipeline = {
    endpoints: { ...endpoints, firehose: firehoseEndpoint },
    clients,
    httpUrl: http.url,
    directPut: {
      endpoint: firehoseEndpoint,
      deliveryStreamName: config.directPut.deliveryStreamName,
      client: createFirehoseClient(firehoseEndpoint, config.local.region),
    },
    producer,
    get emulatorPids() {
      return emulators.pids;
    },
    health: () => {
      const parts = emulators.health();
      const down = Object.values(parts).some((part) => part !== 'up');
      return { status: down ? 'down' : 'ok', parts };
    },
    status: () => ({
      produced: producer.stats.eventsAcknowledged,
      aggregated: processingTotals.eventsFolded,
      rejected: processingTotals.eventsRejected,
      archivedEvents,
      archiveObjects,
      archiveConversionFailures,
      sentToOnFailure,
      iteratorLagMs: Math.max(0, ...esm.progress().map((p) => p.millisBehindLatest)),
      directPutArchivedEvents,
      faults: { ...faults },
    }),
    shardProgress: () => esm.progress(),
    waitForDrain,
    stop: async () => {
      // First, so requests in flight get their acknowledgements before the producer closes.
      await http.stop();
      queryApi.stop();
      healthHistory.stop();
      demo?.stop();
      const stopFailed = (error: unknown) => notice(`while stopping: ${String(error)}`);
      if (partsDown.length > 0) {
        // Nothing drains with a part gone; what is done is saved with the checkpoints below.
        notice(
          `not draining: ${partsDown.map((e) => `${e.emulator} is down`).join(', ')}; unprocessed records stay in the stream after the checkpoints`,
        );
        await settleWithin(producer.close(), DOWN_STOP_TIMEOUT_MS, stopFailed);
      } else {
        await producer.close();
        try {
          await waitForDrain(SHUTDOWN_DRAIN_TIMEOUT_MS);
        } catch (error) {
          notice(`${String(error)}; unprocessed records stay in the stream after the checkpoints`);
        }
      }
      releaseWaiting(new Error('the pipeline is stopping'));
      await esm.stop();
      // Writes into an emulator that is gone would be retried forever; with one down, each gets
      // a few seconds and what is not written stays in the stream after the checkpoints.
      const bounded = <T>(work: Promise<T>) =>
        partsDown.length > 0 ? settleWithin(work, DOWN_STOP_TIMEOUT_MS, stopFailed) : work;
      await bounded(archiver.stop());
      aggregateCheckpoints.stopPeriodicSave();
      archiveCheckpoints.stopPeriodicSave();
      await bounded(firehose?.stop() ?? Promise.resolve());
      for (const proxy of proxies) await proxy.stop();
      await emulators.stop();
    },
  };
  return pipeline;
}

/**
 * Imports the real handler module after giving the process the environment
 * Lambda would give the function, pointed at the local endpoints.
 */
async function loadAggregateHandler(
  config: StreamfoldConfig,
  endpoints: ServiceEndpoints,
  logLevel: string,
): Promise<{ handler: KinesisHandler; processingTotals: BatchSummary }> {
  Object.assign(process.env, {
    ...aggregateFunctionEnvironment(config, {
      tableName: config.table.name,
      rejectsBucketName: config.rejects.bucketName,
    }),
    S3_FORCE_PATH_STYLE: 'true',
    AWS_REGION: config.local.region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    POWERTOOLS_LOG_LEVEL: logLevel,
    // EMF lines would drown the status line; the same figures are in the status line.
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const { createAggregateHandler } = await import(
    '../functions/aggregate/createAggregateHandler.js'
  );
  // The settings the deployed function gets in its bundle (see infra/lambdaEntry.ts).
  return createAggregateHandler(config.catalog, aggregationSettingsOf(config));
}

function ms(duration: string): number {
  return parseDuration(duration) ?? 0;
}

/**
 * Waits for `work` at most `timeoutMs`, telling `onError` of its failure; what it does after
 * that no longer holds the caller up.
 */
async function settleWithin(
  work: Promise<unknown>,
  timeoutMs: number,
  onError: (error: unknown) => void,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(onError),
    new Promise((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}
