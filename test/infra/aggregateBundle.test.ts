import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { CfnElement } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { KinesisStreamBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregationSettingsOf } from '../../core/aggregates/compileMetrics.js';
import { aggregateFunctionEnvironment } from '../../core/config/aggregateFunctionEnvironment.js';
import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import {
  importConfigFile,
  loadConfig,
  validateDeclaredConfig,
} from '../../core/config/loadConfig.js';
import type { StreamfoldEvent } from '../../core/events/envelope.js';
import { AGGREGATE_ATTRIBUTES } from '../../functions/aggregate/DynamoAggregateStore.js';
import { FUNCTION_DEFAULTS } from '../../infra/defaults.js';
import { LAMBDA_ENVIRONMENT_LIMIT_BYTES } from '../../infra/lambdaEnvironmentLimit.js';
import { type AwsClients, LOCAL_CREDENTIALS } from '../../local/awsClients.js';
import type { RunningEmulators } from '../../local/emulators/startEmulators.js';
import { createAggregatesTable } from '../../local/provisionResources.js';
import { HUNDRED_METRICS } from '../fixtures/configs/hundredMetrics.config.js';
import { kinesisStreamEvent } from '../helpers/kinesisStreamEvent.js';
import { startTestEmulators } from '../helpers/testEmulators.js';
import { type SynthesizedApp, synthStreamfoldApp } from './synthStreamfoldApp.js';

const run = promisify(execFile);

/** A synthesis that runs esbuild for every function: about a minute on a shared 2-core machine. */
const SYNTH_WITH_BUNDLING_TIMEOUT_MS = 300_000;

describe('aggregate function bundle', () => {
  let synthesized: SynthesizedApp;
  let bundlePath: string;

  beforeAll(() => {
    // Prepare: a synthesis that really runs esbuild
    synthesized = synthStreamfoldApp({ bundle: true });
    const { stack, template, assembly } = synthesized;
    const id = stack.resolve(
      (stack.aggregateFunction.handler.node.defaultChild as CfnElement).logicalId,
    ) as string;
    const fn = template.toJSON().Resources[id] as {
      Properties: { Code: { S3Key: string }; Handler: string };
    };
    // The asset directory is named after the hash that also names the uploaded zip.
    const assetHash = fn.Properties.Code.S3Key.replace(/\.zip$/, '');
    const [file] = fn.Properties.Handler.split('.');
    bundlePath = join(assembly.directory, `asset.${assetHash}`, `${file}.mjs`);
  }, SYNTH_WITH_BUNDLING_TIMEOUT_MS);

  afterAll(() => synthesized.cleanUp());

  it('builds one minified ES module with the local esbuild during synth', () => {
    // Act
    const size = statSync(bundlePath).size;
    const code = readFileSync(bundlePath, 'utf8');

    // Assess
    console.info(`aggregate function bundle: ${bundlePath} is ${(size / 1024).toFixed(1)} KiB`);
    expect(existsSync(bundlePath)).toBe(true);
    expect(size).toBeGreaterThan(0);
    expect(size).toBeLessThan(FUNCTION_DEFAULTS.maxBundleBytes);
    // Minified: a few very long lines rather than thousands of short ones.
    expect(code.split('\n').length).toBeLessThan(100);
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
  });

  it('leaves the AWS SDK to the Lambda runtime', () => {
    const code = readFileSync(bundlePath, 'utf8');

    expect(code).toMatch(/from\s*"@aws-sdk\/client-dynamodb"/);
    expect(code).toMatch(/from\s*"@aws-sdk\/client-s3"/);
  });

  it('loads in Node.js and exports handler when the function environment is set', () => {
    // Prepare: the same environment the stack gives the function, with made-up names
    const environment = aggregateFunctionEnvironment(loadConfig(), {
      tableName: 'table',
      rejectsBucketName: 'bucket',
    });
    const script = `const m = await import(${JSON.stringify(pathToFileURL(bundlePath).href)}); console.log(typeof m.handler);`;

    // Act: a separate process, as Lambda's runtime would import it
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, ...environment, AWS_REGION: 'us-east-1' },
      encoding: 'utf8',
      // The SDK's Node.js version notice goes to stderr; only stdout is the answer.
      stdio: ['ignore', 'pipe', 'pipe'],
    });

    // Assess
    expect(output.trim().split('\n').at(-1)).toBe('function');
  });
});

describe("the functions' bundles with a team's own configuration", () => {
  let synthesized: SynthesizedApp;

  beforeAll(async () => {
    // Prepare: what `cdk synth -c config=test/fixtures/configs/accounts.config.ts` builds
    const declared = await importConfigFile(
      fileURLToPath(new URL('../fixtures/configs/accounts.config.ts', import.meta.url)),
      {},
    );
    synthesized = synthStreamfoldApp({ bundle: true, declared });
  }, SYNTH_WITH_BUNDLING_TIMEOUT_MS);

  afterAll(() => synthesized.cleanUp());

  it.each([
    ['aggregate', (stack: SynthesizedApp['stack']) => stack.aggregateFunction.handler],
    ['ingest', (stack: SynthesizedApp['stack']) => stack.ingestFunction.handler],
  ])(
    'bundles the catalog of that configuration into the %s function, not the example',
    (_name, functionOf) => {
      // Act
      const code = readFileSync(bundlePathOf(synthesized, functionOf(synthesized.stack)), 'utf8');

      // Assess: the messages of the team's schemas are there, the web shop's are not
      expect(code).toContain('must be a region such as eu-west');
      expect(code).toContain('must be the plan free or pro');
      expect(code).not.toContain('must be a two-letter upper-case country code');
    },
  );
});

function bundlePathOf(synthesized: SynthesizedApp, fn: IFunction): string {
  const { stack, template, assembly } = synthesized;
  const id = stack.resolve((fn.node.defaultChild as CfnElement).logicalId) as string;
  const resource = template.toJSON().Resources[id] as {
    Properties: { Code: { S3Key: string }; Handler: string };
  };
  const assetHash = resource.Properties.Code.S3Key.replace(/\.zip$/, '');
  const [file] = resource.Properties.Handler.split('.');
  return join(assembly.directory, `asset.${assetHash}`, `${file}.mjs`);
}

/** The size Lambda measures of a synthesized function's variables, references at 255 bytes. */
function templateEnvironmentBytes(variables: Record<string, unknown>): number {
  const measured = Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : 'x'.repeat(255),
    ]),
  );
  return Buffer.byteLength(JSON.stringify(measured), 'utf8');
}

/** Signups and logins of the accounts catalog, 50 a record, all within one minute. */
function accountEvents(count: number, timeMs: number): StreamfoldEvent[] {
  const regions = ['eu-west', 'us-east', 'ap-south'];
  return Array.from({ length: count }, (_, i) => ({
    id: `event-${i}`,
    type: i % 3 === 2 ? 'login' : 'signup',
    time: new Date(timeMs + i).toISOString(),
    source: 'test',
    data:
      i % 3 === 2
        ? { method: i % 2 === 0 ? 'sso' : 'password', region: regions[i % 3] }
        : {
            plan: i % 2 === 0 ? 'pro' : 'free',
            seats: 1 + ((i * 7) % 500),
            region: regions[i % 3],
          },
  }));
}

/** Per metric and window: events counted and values summed, as a plain fold would. */
function expectedTotals(config: StreamfoldConfig, events: readonly StreamfoldEvent[]) {
  const totals = new Map<string, { count: number; sum: number }>();
  for (const metric of config.metrics) {
    const types = typeof metric.on === 'string' ? [metric.on] : metric.on;
    const matching = events.filter((event) => types.includes(event.type));
    const sum = metric.value
      ? matching.reduce((total, event) => total + Number(event.data.seats), 0)
      : 0;
    for (const window of metric.windows)
      totals.set(`${metric.name} ${window}`, { count: matching.length, sum });
  }
  return totals;
}

describe('a configuration with a hundred metrics', () => {
  const fixture = fileURLToPath(
    new URL('../fixtures/configs/hundredMetrics.config.ts', import.meta.url),
  );
  let synthesized: SynthesizedApp;
  let config: StreamfoldConfig;

  beforeAll(async () => {
    // Prepare: what `cdk synth -c config=test/fixtures/configs/hundredMetrics.config.ts` builds
    const declared = await importConfigFile(fixture, {});
    config = validateDeclaredConfig(declared);
    synthesized = synthStreamfoldApp({ bundle: true, declared });
  }, SYNTH_WITH_BUNDLING_TIMEOUT_MS);

  afterAll(() => synthesized.cleanUp());

  it('holds settings that would not fit a 4 KB environment', () => {
    // Assess: the fixture is past the limit it is here to test
    expect(config.metrics).toHaveLength(HUNDRED_METRICS);
    expect(JSON.stringify(aggregationSettingsOf(config)).length).toBeGreaterThan(
      LAMBDA_ENVIRONMENT_LIMIT_BYTES,
    );
  });

  it.each([
    ['aggregate', (stack: SynthesizedApp['stack']) => stack.aggregateFunction.handler],
    ['ingest', (stack: SynthesizedApp['stack']) => stack.ingestFunction.handler],
    ['query', (stack: SynthesizedApp['stack']) => stack.queryFunction.handler],
  ])(
    'synthesizes the %s function with an environment under 4 KB and no metric in it',
    (_name, functionOf) => {
      // Prepare: Lambda quotas, "Total size of environment variables set | 4 KB"
      const { stack, template } = synthesized;
      const id = stack.resolve(
        (functionOf(stack).node.defaultChild as CfnElement).logicalId,
      ) as string;

      // Act
      const resource = template.toJSON().Resources[id] as {
        Properties: { Environment: { Variables: Record<string, unknown> } };
      };
      const variables = resource.Properties.Environment.Variables;
      const bytes = templateEnvironmentBytes(variables);

      // Assess
      console.info(`${_name} function environment with ${HUNDRED_METRICS} metrics: ${bytes} bytes`);
      expect(bytes).toBeLessThanOrEqual(LAMBDA_ENVIRONMENT_LIMIT_BYTES);
      expect(JSON.stringify(variables)).not.toContain('signups_by_plan_000');
    },
  );

  describe('the bundled functions run with those settings', () => {
    let emulators: RunningEmulators;
    let clients: AwsClients;
    let dynamodbEndpoint: string;
    let scratch: string;
    const table = 'aggregates-hundred';

    beforeAll(async () => {
      ({ emulators, clients } = await startTestEmulators({ dynamodb: true }));
      dynamodbEndpoint = `http://127.0.0.1:${emulators.ports.dynamodb}`;
      await createAggregatesTable(clients.dynamodb, table);
      scratch = mkdtempSync(join(tmpdir(), 'hundred-metrics-'));
    });

    afterAll(async () => {
      await emulators?.stop();
      rmSync(scratch, { recursive: true, force: true });
    });

    it('folds a batch into the right aggregates of every one of the hundred metrics', async () => {
      // Prepare: 300 events in 6 records; the function's environment, pointed at the emulator
      const events = accountEvents(300, Date.now() - 30_000);
      const specs = Array.from({ length: 6 }, (_, k) => ({
        sequenceNumber: String(BigInt(k + 1) * 10n ** 20n + 7n),
        lines: events.slice(k * 50, (k + 1) * 50),
      }));
      const eventFile = join(scratch, 'event.json');
      writeFileSync(eventFile, JSON.stringify(kinesisStreamEvent(specs)));
      const bundle = bundlePathOf(synthesized, synthesized.stack.aggregateFunction.handler);
      const script = [
        `const { readFileSync } = await import('node:fs');`,
        `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)});`,
        `const event = JSON.parse(readFileSync(${JSON.stringify(eventFile)}, 'utf8'));`,
        `const context = { functionName: 'aggregate', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:aggregate', memoryLimitInMB: '512', awsRequestId: 'request-1', logGroupName: 'aggregate', logStreamName: 'test', getRemainingTimeInMillis: () => 60000 };`,
        `console.log(JSON.stringify(await m.handler(event, context)));`,
      ].join('\n');

      // Act: a separate process, as Lambda's runtime would import and invoke it
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
        env: {
          ...process.env,
          ...aggregateFunctionEnvironment(config, {
            tableName: table,
            rejectsBucketName: 'rejects',
          }),
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
          AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
          // Nothing is rejected and no record is too old: S3 and Kinesis are never called.
          AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1',
          AWS_ENDPOINT_URL_KINESIS: 'http://127.0.0.1:1',
          POWERTOOLS_METRICS_DISABLED: 'true',
          POWERTOOLS_LOG_LEVEL: 'ERROR',
        },
      });
      const response = JSON.parse(
        stdout.trim().split('\n').at(-1) ?? 'null',
      ) as KinesisStreamBatchResponse;

      // Assess: no record failed, and every metric and window holds what a plain fold gives
      expect(response).toEqual({ batchItemFailures: [] });
      const totals = new Map<string, { count: number; sum: number }>();
      const A = AGGREGATE_ATTRIBUTES;
      const { dynamodb } = clients;
      let startKey: Record<string, never> | undefined;
      do {
        const page = await dynamodb.send(
          new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }),
        );
        for (const item of page.Items ?? []) {
          const metric = item[A.metric]?.S;
          const window = item[A.window]?.S;
          if (metric === undefined || window === undefined || item[A.count] === undefined) continue;
          const key = `${metric} ${window}`;
          const total = totals.get(key) ?? { count: 0, sum: 0 };
          total.count += Number(item[A.count]?.N ?? 0);
          total.sum += Number(item[A.sum]?.N ?? 0);
          totals.set(key, total);
        }
        startKey = page.LastEvaluatedKey as Record<string, never> | undefined;
      } while (startKey);
      const expected = expectedTotals(config, events);
      expect(new Set([...totals.keys()].map((key) => key.split(' ')[0])).size).toBe(
        HUNDRED_METRICS,
      );
      expect(Object.fromEntries(totals)).toEqual(Object.fromEntries(expected));
    }, 120_000);

    it('answers GET /api/metrics from the query bundle with all hundred metrics', async () => {
      // Prepare
      const bundle = bundlePathOf(synthesized, synthesized.stack.queryFunction.handler);
      const script = [
        `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)});`,
        `const event = { version: '2.0', routeKey: 'GET /api/metrics', rawPath: '/api/metrics', rawQueryString: '', headers: {}, requestContext: { http: { method: 'GET', path: '/api/metrics' } }, isBase64Encoded: false };`,
        `const context = { functionName: 'query', awsRequestId: 'request-1', getRemainingTimeInMillis: () => 10000 };`,
        `console.log(JSON.stringify(await m.handler(event, context)));`,
      ].join('\n');

      // Act
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
        env: {
          ...process.env,
          AGGREGATES_TABLE_NAME: table,
          AWS_REGION: 'us-east-1',
          POWERTOOLS_METRICS_DISABLED: 'true',
          POWERTOOLS_LOG_LEVEL: 'ERROR',
        },
      });
      const response = JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null') as {
        statusCode: number;
        body: string;
      };

      // Assess
      expect(response.statusCode).toBe(200);
      const body = JSON.parse(response.body) as { metrics: { name: string }[] };
      expect(body.metrics.map((metric) => metric.name)).toEqual(
        config.metrics.map((metric) => metric.name),
      );
    });
  });
});
