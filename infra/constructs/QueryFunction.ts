import { fileURLToPath } from 'node:url';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { QueryFunctionSettings } from '../../core/config/queryFunctionEnvironment.js';
import { AGGREGATES_BY_METRIC_INDEX } from '../../functions/query/aggregatesByMetricIndex.js';
import { FUNCTION_DEFAULTS, QUERY_FUNCTION_DEFAULTS } from '../defaults.js';
import { acknowledgeTracingGrant, functionTracing } from '../functionTracing.js';
import { PROJECT_ROOT, settingsFirstEntry } from '../lambdaEntry.js';

/** The handler module, relative to this file so synth works from any directory. */
const HANDLER_ENTRY = fileURLToPath(new URL('../../functions/query/handler.ts', import.meta.url));

/** Gives the handler its settings before it loads (see `settingsFirstEntry`). */
const SETTINGS_PROVIDER = {
  module: fileURLToPath(new URL('../../functions/query/readQueryEnvironment.ts', import.meta.url)),
  exportName: 'provideQuerySettings',
};

/** Largest timeout API Gateway HTTP APIs wait for an integration. */
const MAX_INTEGRATION_TIMEOUT_S = 30;

/** Props of {@link QueryFunction}. */
export interface QueryFunctionProps {
  /** The aggregates table; the function may only read it. */
  table: dynamodb.ITable;
  /** The function's environment, from `queryFunctionEnvironment()`. */
  environment: Record<string, string>;
  /**
   * The handler's settings, from `querySettingsOf(config)`: bundled with the function,
   * as they grow with the metrics past Lambda's 4 KB environment.
   *
   * @default - none: the handler module is the entry and fails its cold start (tests that do not run it)
   */
  settings?: QueryFunctionSettings;
  /**
   * Trace the function with AWS X-Ray (`observability.tracing`); the handler then loads Powertools Tracer.
   *
   * @default false - no tracing config, no X-Ray permission, and the tracer is never loaded
   */
  tracing?: boolean;
  /**
   * Function timeout; below API Gateway's 30 s so the function, not the gateway, answers.
   *
   * @default QUERY_FUNCTION_DEFAULTS.timeout (10 s)
   */
  timeout?: Duration;
  /**
   * Function memory, MB.
   *
   * @default QUERY_FUNCTION_DEFAULTS.memorySize (512)
   */
  memorySize?: number;
  /**
   * Concurrent executions reserved for the function, which also caps it; from
   * `query.reservedConcurrency`. Lambda refuses a reservation that leaves the
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
 * The query function (`functions/query/handler.ts`, bundled like the other
 * functions) behind the `GET /api/metrics`, `/api/groups`, `/api/series` and
 * `/api/top` routes. Route it with `PipelineApi.addFunctionRoute`.
 *
 * Its role is its own and read-only, with exactly: `dynamodb:Query`,
 * `dynamodb:GetItem` and `dynamodb:BatchGetItem` on the table, `dynamodb:Query`
 * on its `byMetric` index, and writing to its log group. No `dynamodb:Scan`:
 * nothing it answers reads the whole table.
 */
export class QueryFunction extends Construct {
  /** The Lambda function. */
  public readonly handler: nodejs.NodejsFunction;
  /** Its execution role. */
  public readonly role: iam.Role;
  /** Its log group. */
  public readonly logGroup: logs.LogGroup;

  public constructor(scope: Construct, id: string, props: QueryFunctionProps) {
    super(scope, id);
    const timeout = props.timeout ?? QUERY_FUNCTION_DEFAULTS.timeout;
    const timeoutS = timeout.toMilliseconds() / 1_000;
    if (!(Number.isInteger(timeoutS) && timeoutS >= 1 && timeoutS < MAX_INTEGRATION_TIMEOUT_S)) {
      throw new Error(
        `timeout (s) must be an integer between 1 and ${MAX_INTEGRATION_TIMEOUT_S - 1} (given ${timeoutS})`,
      );
    }
    const memorySize = props.memorySize ?? QUERY_FUNCTION_DEFAULTS.memorySize;
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
      description: 'Query function: reads the aggregates table',
    });
    this.logGroup.grantWrite(this.role);
    if (props.tracing) acknowledgeTracingGrant(this.role);

    this.handler = new nodejs.NodejsFunction(this, 'Function', {
      description: 'GET /api/...: metrics, groups, series and top groups from the aggregates table',
      entry:
        props.settings === undefined
          ? HANDLER_ENTRY
          : settingsFirstEntry(HANDLER_ENTRY, SETTINGS_PROVIDER, props.settings),
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

    // Not table.grantReadData(): it adds Scan, ConditionCheckItem, DescribeTable and stream
    // reads. Query reads a series and lists a range's keys on the byMetric index; GetItem and
    // BatchGetItem read the items those keys name.
    iam.Grant.addToPrincipal({
      grantee: this.role,
      actions: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:BatchGetItem'],
      resourceArns: [props.table.tableArn],
    });
    iam.Grant.addToPrincipal({
      grantee: this.role,
      actions: ['dynamodb:Query'],
      resourceArns: [`${props.table.tableArn}/index/${AGGREGATES_BY_METRIC_INDEX.indexName}`],
    });
  }
}
