import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root: NodejsFunction bundles only entries below it. */
export const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * Where generated entries are written: under the project root, as NodejsFunction
 * requires, in the conventional cache folder no one commits or edits.
 */
const ENTRIES_FOLDER = join(PROJECT_ROOT, 'node_modules', '.cache', 'streamfold', 'lambda-entries');

/** A function that builds a Lambda handler from the configuration's event catalog. */
export interface HandlerFactory {
  /** Absolute path of the module exporting it. */
  module: string;
  /** Its export name, e.g. `createAggregateHandler`. */
  exportName: string;
}

/**
 * Writes the Lambda entry module of a function that needs the configuration's
 * event catalog, and returns its path for `NodejsFunction`'s `entry`. The
 * catalog is code (zod schemas), so it cannot travel in an environment
 * variable: the entry imports the configuration file itself, and esbuild
 * bundles it with the handler.
 *
 * The entry is named after what it imports, so parallel synths of the same
 * configuration write the same file (atomically), and its content never
 * changes the bundle's hash unless the configuration or handler do.
 *
 * @example
 * const entry = lambdaEntry(
 *   { module: '/repo/functions/aggregate/createAggregateHandler.ts', exportName: 'createAggregateHandler' },
 *   '/repo/streamfold.config.ts',
 * ); // export const handler = createAggregateHandler(config.catalog).handler
 */
export function lambdaEntry(factory: HandlerFactory, configFile: string): string {
  const source = [
    '// Generated at synth by infra/lambdaEntry.ts: the handler, built with the catalog of the configuration.',
    `import config from ${JSON.stringify(configFile)};`,
    `import { ${factory.exportName} } from ${JSON.stringify(factory.module)};`,
    '',
    `const built = ${factory.exportName}(config.catalog);`,
    "export const handler = typeof built === 'function' ? built : built.handler;",
    '',
  ].join('\n');
  const name = createHash('sha256').update(source).digest('hex').slice(0, 16);
  mkdirSync(ENTRIES_FOLDER, { recursive: true });
  const path = join(ENTRIES_FOLDER, `${factory.exportName}-${name}.ts`);
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, source);
  renameSync(partial, path);
  return path;
}
