import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { FUNCTION_DEFAULTS, INGEST_FUNCTION_DEFAULTS } from '../defaults.js';
import { acknowledgeTracingGrant, functionTracing } from '../functionTracing.js';
import { lambdaEntry, PROJECT_ROOT } from '../lambdaEntry.js';

/** The handler factory, relative to this file so synth works from any directory. */
const HANDLER_FACTORY = {
  module: fileURLToPath(new URL('../../functions/ingest/createIngestHandler.ts', import.meta.url)),
  exportName: 'createIngestHandler',
};

/** Largest timeout API Gateway HTTP APIs wait for an integration. */
const MAX_INTEGRATION_TIMEOUT_S = 30;

/** Props of {@link IngestFunction}. */
export interface IngestFunctionProps {
  /** The stream accepted events are put into; the function may only `PutRecords` to it. */
  stream: kinesis.IStream;
  /** The function's environment, from `ingestFunctionEnvironment()`. */
  environment: Record<string, string>;
  /**
   * Trace the function with AWS X-Ray (`observability.tracing`); the handler then loads Powertools Tracer.
   *
   * @default false - no tracing config, no X-Ray permission, and the tracer is never loaded
   */
  tracing?: boolean;
  /** The configuration file whose event catalog the function validates events against. */
  configFile: string;
  /**
   * Function timeout; below API Gateway's 30 s so the function, not the gateway, answers.
   *
   * @default Duration.seconds(15)
   */
  timeout?: Duration;
  /**
   * Function memory, MB.
   *
   * @default INGEST_FUNCTION_DEFAULTS.memorySize (512)
   */
  memorySize?: number;
  /**
   * Concurrent executions reserved for the function, which also caps it; from
   * `ingest.reservedConcurrency`. Lambda refuses a reservation that leaves the
   * account fewer than 100 unreserved executions.
   *
   * @default - no reservation: the function draws on the account's unreserved pool
   */
  reservedConcurrentExecutions?: number;
  /**
   * Retention of the function's log group.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  logRemovalPolicy?: RemovalPolicy;
}

/**
 * The ingest function (`functions/ingest/handler.ts`, bundled like the
 * aggregate function) that validates `POST /events` requests and puts the
 * accepted events into the stream. Route it with `PipelineApi.addFunctionRoute`.
 *
 * Its role is its own, with exactly: `kinesis:PutRecords` on the stream,
 * `kms:GenerateDataKey` on the stream's key (what a producer of an encrypted
 * stream needs), and writing to its log group.
 */
export class IngestFunction extends Construct {
  /** The Lambda function. */
  public readonly handler: nodejs.NodejsFunction;
  /** Its execution role. */
  public readonly role: iam.Role;
  /** Its log group. */
  public readonly logGroup: logs.LogGroup;

  public constructor(scope: Construct, id: string, props: IngestFunctionProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.seconds(15);
    const timeoutS = timeout.toMilliseconds() / 1_000;
    if (!(Number.isInteger(timeoutS) && timeoutS >= 1 && timeoutS < MAX_INTEGRATION_TIMEOUT_S)) {
      throw new Error(
        `timeout (s) must be an integer between 1 and ${MAX_INTEGRATION_TIMEOUT_S - 1} (given ${timeoutS})`,
      );
    }
    const memorySize = props.memorySize ?? INGEST_FUNCTION_DEFAULTS.memorySize;
    if (!(Number.isInteger(memorySize) && memorySize >= 128 && memorySize <= 10_240)) {
      throw new Error(`memorySize must be an integer between 128 and 10240 (given ${memorySize})`);
    }

    const reserved = props.reservedConcurrentExecutions;
    if (reserved !== undefined && !(Number.isInteger(reserved) && reserved >= 1)) {
      throw new Error(
        `reservedConcurrentExecutions must be a positive integer (given ${reserved})`,
      );
    }

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    // Our own role: the default one carries AWSLambdaBasicExecutionRole (every log group).
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Ingest function: puts accepted events into the stream',
    });
    this.logGroup.grantWrite(this.role);
    if (props.tracing) acknowledgeTracingGrant(this.role);

    this.handler = new nodejs.NodejsFunction(this, 'Function', {
      description:
        'POST /events: validates a JSON array of events and puts the valid ones into the stream',
      entry: lambdaEntry(HANDLER_FACTORY, props.configFile),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      runtime: FUNCTION_DEFAULTS.runtime,
      architecture: FUNCTION_DEFAULTS.architecture,
      memorySize,
      timeout,
      reservedConcurrentExecutions: reserved,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: FUNCTION_DEFAULTS.loggingFormat,
      applicationLogLevelV2: FUNCTION_DEFAULTS.applicationLogLevel,
      systemLogLevelV2: FUNCTION_DEFAULTS.systemLogLevel,
      ...functionTracing(props.tracing, props.environment),
      bundling: {
        format: FUNCTION_DEFAULTS.bundling.format,
        minify: FUNCTION_DEFAULTS.bundling.minify,
        mainFields: [...FUNCTION_DEFAULTS.bundling.mainFields],
        externalModules: [...FUNCTION_DEFAULTS.bundling.externalModules],
        banner: FUNCTION_DEFAULTS.bundling.banner,
        sourceMap: FUNCTION_DEFAULTS.bundling.sourceMap,
        forceDockerBundling: FUNCTION_DEFAULTS.bundling.forceDockerBundling,
      },
    });

    // Not stream.grantWrite(): it adds PutRecord, DescribeStream* and ListShards, and
    // kms:Encrypt/ReEncrypt*/GenerateDataKey*; the producer only calls PutRecords.
    iam.Grant.addToPrincipal({
      grantee: this.role,
      actions: ['kinesis:PutRecords'],
      resourceArns: [props.stream.streamArn],
    });
    props.stream.encryptionKey?.grant(this.role, 'kms:GenerateDataKey');
  }
}
