import { execFile } from 'node:child_process';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, stop } from 'esbuild';
import { aggregationSettingsOf } from '../core/aggregates/compileMetrics.js';
import { aggregateFunctionEnvironment } from '../core/config/aggregateFunctionEnvironment.js';
import type { StreamfoldConfig } from '../core/config/configSchema.js';
import { configSourceOf } from '../core/config/configSource.js';
import { AGGREGATE_HANDLER_FACTORY } from '../infra/constructs/AggregateFunction.js';
import { FUNCTION_DEFAULTS } from '../infra/defaults.js';
import { lambdaEntry } from '../infra/lambdaEntry.js';
import { median } from './measure.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Inside the project, so the bundle resolves the external AWS SDK from node_modules as Lambda's runtime provides it. */
const OUT_DIR = join(ROOT, 'node_modules', '.cache', 'streamfold-bench');

/** One bundle and its cold import. */
export interface BundleResult {
  name: string;
  bytes: number;
  /** Median ms to `import()` the bundle in a fresh process (Node.js bootstrap excluded). */
  importMs: number;
  /** Median ms from spawning the process to its exit after the import. */
  processMs: number;
}

/**
 * The aggregate function bundled with esbuild as the CDK app bundles it
 * (`FUNCTION_DEFAULTS.bundling`: ESM, minified, `@aws-sdk/*` left to the
 * runtime, the same banner, the runtime's Node.js target), and a naive bundle
 * (everything included, not minified). Each is imported in `processes` fresh
 * `node` processes with the function's environment; the medians are reported.
 */
export async function runBundleBenchmark(options: {
  config: StreamfoldConfig;
  processes: number;
}): Promise<{ streamfold: BundleResult; naive: BundleResult }> {
  await mkdir(OUT_DIR, { recursive: true });
  const target = FUNCTION_DEFAULTS.runtime.name.replace('nodejs', 'node').replace('.x', '');
  // The entry the stack generates at synth: the configuration's catalog and settings bundled in.
  const entry = lambdaEntry(
    AGGREGATE_HANDLER_FACTORY,
    configSourceOf(options.config).file,
    aggregationSettingsOf(options.config),
  );
  const common = {
    entryPoints: [entry],
    bundle: true,
    platform: 'node' as const,
    format: 'esm' as const,
    target,
    banner: { js: FUNCTION_DEFAULTS.bundling.banner },
    logLevel: 'silent' as const,
  };
  const streamfoldFile = join(OUT_DIR, 'aggregate.mjs');
  const naiveFile = join(OUT_DIR, 'aggregate-naive.mjs');
  try {
    await build({
      ...common,
      outfile: streamfoldFile,
      minify: FUNCTION_DEFAULTS.bundling.minify,
      mainFields: [...FUNCTION_DEFAULTS.bundling.mainFields],
      external: [...FUNCTION_DEFAULTS.bundling.externalModules],
    });
    await build({ ...common, outfile: naiveFile, minify: false });
    const environment = {
      ...process.env,
      ...aggregateFunctionEnvironment(options.config, {
        tableName: 'table',
        rejectsBucketName: 'bucket',
      }),
      AWS_REGION: 'us-east-1',
    };
    const measure = async (name: string, file: string): Promise<BundleResult> => {
      const imports: number[] = [];
      const processes: number[] = [];
      const script = `const t = performance.now(); const m = await import(${JSON.stringify(pathToFileURL(file).href)}); if (typeof m.handler !== 'function') throw new Error('no handler'); console.log(performance.now() - t);`;
      for (let i = 0; i < options.processes; i++) {
        const started = performance.now();
        const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
          env: environment,
        });
        processes.push(performance.now() - started);
        imports.push(Number(stdout.trim().split('\n').at(-1)));
      }
      return {
        name,
        bytes: (await stat(file)).size,
        importMs: median(imports),
        processMs: median(processes),
      };
    };
    return {
      streamfold: await measure('as deployed (minified, AWS SDK from the runtime)', streamfoldFile),
      naive: await measure('naive (AWS SDK bundled, not minified)', naiveFile),
    };
  } finally {
    // esbuild keeps a service process alive; stop it so later rows do not count its memory.
    await stop();
    await rm(OUT_DIR, { recursive: true, force: true });
  }
}
