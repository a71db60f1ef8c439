import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './synthStreamfoldApp.js';

const run = promisify(execFile);

const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/configs/${name}`, import.meta.url));

/**
 * What `npx cdk synth -c config=FILE` prints: cdk runs `infra/app.ts` (cdk.json's
 * `app`) with the context in CDK_CONTEXT_JSON, as here.
 */
async function synthApp(context: Record<string, string>, outdir: string) {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'infra/app.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('cdk synth with a configuration AWS would refuse', () => {
  let outdir: string;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'synth-refusal-'));
  });

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it.each([
    [
      'a batching window in milliseconds',
      'subSecondBatchingWindow.config.ts',
      'aggregation.maxBatchingWindow: must be a whole number of seconds, as AWS takes it in Lambda MaximumBatchingWindowInSeconds (given "1500ms")',
    ],
    [
      'an ingest environment over 4 KB',
      'manyAllowedOrigins.config.ts',
      "the ingest function's environment would take",
    ],
  ])(
    'refuses %s with exit code 2 and the message, no stack trace',
    async (_name, file, problem) => {
      // Act
      const result = await synthApp({ config: fixture(file) }, outdir);

      // Assess
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('Invalid streamfold configuration:');
      expect(result.stderr).toContain(problem);
      expect(result.stderr).not.toMatch(/^\s+at /m);
    },
    // Importing the configuration and building the app under tsx: up to 90 s on a busy 2-core machine.
    300_000,
  );
});
