import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CfnElement } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateFunctionEnvironment } from '../../core/config/aggregateFunctionEnvironment.js';
import { importConfigFile, loadConfig } from '../../core/config/loadConfig.js';
import { FUNCTION_DEFAULTS } from '../../infra/defaults.js';
import { type SynthesizedApp, synthStreamfoldApp } from './synthStreamfoldApp.js';

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
  });

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
  });

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
