import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { DeclaredConfig } from '../../core/config/loadConfig.js';
import { createStreamfoldApp } from '../../infra/createStreamfoldApp.js';
import type { StreamfoldStack } from '../../infra/StreamfoldStack.js';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Options of {@link synthStreamfoldApp}. */
export interface SynthOptions {
  /** CDK context, as `-c key=value` would give it. */
  context?: Record<string, string>;
  /**
   * Run esbuild for the function. Off by default: only the bundle test needs the
   * real bundle, and the template does not depend on it.
   */
  bundle?: boolean;
  /** The configuration, as `importConfigFile` gives it. @default the shipped streamfold.config.ts */
  declared?: DeclaredConfig;
  /** Changes the stack before synthesis, to check what synthesis does with a change. */
  beforeSynth?: (stack: StreamfoldStack) => void;
}

/** A synthesized app: the stack, its template and the cloud assembly on disk. */
export interface SynthesizedApp {
  app: App;
  stack: StreamfoldStack;
  template: Template;
  assembly: CloudAssembly;
  /** Deletes the cloud assembly directory. */
  cleanUp: () => void;
}

/**
 * Builds the app exactly as `infra/app.ts` does (same context handling, same
 * cdk-nag plugin) and synthesizes it once, into a fresh directory under
 * `cdk.out/` (ignored by git) so a bundle there resolves the runtime-provided
 * modules from the repository's node_modules.
 */
export function synthStreamfoldApp(options: SynthOptions = {}): SynthesizedApp {
  mkdirSync(join(REPO_ROOT, 'cdk.out'), { recursive: true });
  const outdir = mkdtempSync(join(REPO_ROOT, 'cdk.out', 'test-'));
  const app = new App({
    outdir,
    context: {
      // What `cdk synth` would add from cdk.json, then what -c would.
      ...cdkJsonContext(),
      ...options.context,
      // An empty list skips asset bundling for every stack.
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const cleanUp = () => rmSync(outdir, { recursive: true, force: true });
  try {
    const stack = createStreamfoldApp(app, options.declared);
    options.beforeSynth?.(stack);
    const assembly = app.synth();
    const template = Template.fromJSON(assembly.getStackArtifact(stack.artifactId).template);
    return { app, stack, template, assembly, cleanUp };
  } catch (error) {
    cleanUp();
    throw error;
  }
}

function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}
