import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { StreamfoldConfig } from '../core/config/configSchema.js';
import { createAwsClients } from '../local/awsClients.js';
import { startLocalPipeline } from '../local/startLocalPipeline.js';
import type { KinesisConnection } from './loadGeneratorThread.js';

/** How long the probe for a running local stack waits, ms. */
const PROBE_TIMEOUT_MS = 1_500;

/** Where a load test sends events and reads aggregates. */
export interface LoadTarget {
  /** Shown in the report: `local (running stack at …)`, `local (embedded)` or `aws (…)`. */
  description: string;
  kinesis: KinesisClient;
  /** Where the load generator's thread connects to the stream (it builds its own client). */
  kinesisConnection: KinesisConnection;
  /**
   * Whether the stream enforces Kinesis's per-shard write limits: AWS does, and an external
   * endpoint is assumed to; kinesalite (the local emulator) does not.
   */
  enforcesShardLimits: boolean;
  dynamodb: DynamoDBClient;
  streamName: string;
  tableName: string;
  /** Waits until the pipeline has processed everything in the stream, when the target can tell. */
  waitForDrain?: () => Promise<void>;
  /** Releases clients and stops what the target started. */
  close(): Promise<void>;
}

/** Options of {@link connectTarget}. */
export interface ConnectTargetOptions {
  config: StreamfoldConfig;
  /** Deployment stage of the stack, for AWS resource names. @default 'dev' */
  stage?: string;
  streamName?: string;
  tableName?: string;
  region?: string;
  /** Told what is being started or connected to. */
  onNotice?: (message: string) => void;
}

/**
 * Connects to the pipeline a load test drives.
 *
 * - `local`: the stack `npm start` runs, found at the configured local
 *   endpoints; if none is running, an embedded one is started on free ports
 *   (no demo producer), and stopped with `close()`.
 * - `aws`: the deployed stack, with the default credential chain; stream and
 *   table names follow the CDK app's `<name>-<stage>`.
 */
export async function connectTarget(
  kind: 'local' | 'aws',
  options: ConnectTargetOptions,
): Promise<LoadTarget> {
  const { config } = options;
  const notice = options.onNotice ?? (() => undefined);
  if (kind === 'aws') {
    const stage = options.stage ?? 'dev';
    const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    const kinesis = new KinesisClient(region ? { region } : {});
    const dynamodb = new DynamoDBClient(region ? { region } : {});
    const streamName = options.streamName ?? `${config.stream.name}-${stage}`;
    const tableName = options.tableName ?? `${config.table.name}-${stage}`;
    await describeStream(kinesis, streamName, 'aws');
    return {
      description: `aws (${await kinesis.config.region()}, stage ${stage})`,
      kinesis,
      kinesisConnection: { region },
      enforcesShardLimits: true,
      dynamodb,
      streamName,
      tableName,
      close: async () => {
        kinesis.destroy();
        dynamodb.destroy();
      },
    };
  }

  const { host, ports, endpoints: external, region } = config.local;
  const endpoints = {
    kinesis: external.kinesis ?? `http://${host}:${ports.kinesis}`,
    dynamodb: external.dynamodb ?? `http://${host}:${ports.dynamodb}`,
    s3: external.s3 ?? `http://${host}:${ports.s3}`,
  };
  const streamName = options.streamName ?? config.stream.name;
  const tableName = options.tableName ?? config.table.name;
  const probe = new KinesisClient({
    region,
    endpoint: endpoints.kinesis,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler({
      connectionTimeout: PROBE_TIMEOUT_MS,
      requestTimeout: PROBE_TIMEOUT_MS,
    }),
    maxAttempts: 1,
  });
  const running = await probe
    .send(new DescribeStreamSummaryCommand({ StreamName: streamName }))
    .then(() => true)
    .catch(() => false);
  probe.destroy();
  if (running) {
    notice(`using the local stack running at ${endpoints.kinesis}`);
    const clients = createAwsClients(endpoints, region);
    return {
      description: `local (running stack at ${endpoints.kinesis})`,
      kinesis: clients.kinesis,
      kinesisConnection: { endpoint: endpoints.kinesis, region },
      enforcesShardLimits: external.kinesis !== undefined,
      dynamodb: clients.dynamodb,
      streamName,
      tableName,
      close: async () => {
        clients.kinesis.destroy();
        clients.dynamodb.destroy();
        clients.s3.destroy();
      },
    };
  }
  notice(`no local stack at ${endpoints.kinesis}; starting an embedded one (no demo producer)…`);
  return startEmbeddedTarget(config, notice);
}

/** Starts a local pipeline on free ports, without the demo producer, as a load-test target. */
export async function startEmbeddedTarget(
  config: StreamfoldConfig,
  onNotice: (message: string) => void = () => undefined,
): Promise<LoadTarget> {
  const pipeline = await startLocalPipeline({
    config,
    ephemeralPorts: true,
    demoRate: 0,
    onNotice,
  });
  return {
    description: 'local (embedded)',
    kinesis: pipeline.clients.kinesis,
    kinesisConnection: { endpoint: pipeline.endpoints.kinesis, region: config.local.region },
    enforcesShardLimits: config.local.endpoints.kinesis !== undefined,
    dynamodb: pipeline.clients.dynamodb,
    streamName: config.stream.name,
    tableName: config.table.name,
    waitForDrain: () => pipeline.waitForDrain(),
    close: () => pipeline.stop(),
  };
}

async function describeStream(
  client: KinesisClient,
  streamName: string,
  target: string,
): Promise<void> {
  try {
    await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
  } catch (error) {
    throw new Error(
      `--target ${target}: cannot reach stream "${streamName}": ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
