import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CfnElement } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestFunctionEnvironment } from '../../core/config/ingestFunctionEnvironment.js';
import { loadConfig } from '../../core/config/loadConfig.js';
import { FUNCTION_DEFAULTS } from '../../infra/defaults.js';
import { type SynthesizedApp, synthStreamfoldApp } from './synthStreamfoldApp.js';

describe('ingest function bundle', () => {
  let synthesized: SynthesizedApp;
  let bundlePath: string;

  beforeAll(() => {
    // Prepare: a synthesis that really runs esbuild
    synthesized = synthStreamfoldApp({ bundle: true });
    const { stack, template, assembly } = synthesized;
    const id = stack.resolve(
      (stack.ingestFunction.handler.node.defaultChild as CfnElement).logicalId,
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

  it('builds one minified ES module within the bundle size bound, leaving the AWS SDK out', () => {
    // Act
    const size = statSync(bundlePath).size;
    const code = readFileSync(bundlePath, 'utf8');

    // Assess
    console.info(`ingest function bundle: ${bundlePath} is ${(size / 1024).toFixed(1)} KiB`);
    expect(size).toBeGreaterThan(0);
    expect(size).toBeLessThan(FUNCTION_DEFAULTS.maxBundleBytes);
    expect(code.split('\n').length).toBeLessThan(100);
    expect(code).toMatch(/from\s*"@aws-sdk\/client-kinesis"/);
  });

  it('loads in Node.js and exports handler when the function environment is set', () => {
    // Prepare: the environment the stack gives the function, with a made-up stream name
    const environment = ingestFunctionEnvironment(loadConfig(), { streamName: 'events' });
    const script = `const m = await import(${JSON.stringify(pathToFileURL(bundlePath).href)}); console.log(typeof m.handler);`;

    // Act: a separate process, as Lambda's runtime would import it
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, ...environment, AWS_REGION: 'us-east-1' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });

    // Assess
    expect(output.trim().split('\n').at(-1)).toBe('function');
  });
});
