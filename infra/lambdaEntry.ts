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

/** A function, called before the handler module loads, that gives it its settings. */
export interface SettingsProvider {
  /** Absolute path of the module exporting it. */
  module: string;
  /** Its export name, e.g. `provideQuerySettings`. */
  exportName: string;
}

/**
 * Writes the Lambda entry module of a function that needs the configuration's
 * event catalog, and returns its path for `NodejsFunction`'s `entry`. The
 * catalog is code (zod schemas), so it cannot travel in an environment
 * variable: the entry imports the configuration file itself, and esbuild
 * bundles it with the handler.
 *
 * `settings`, when given, are written into the entry as a JSON literal and
 * passed to the factory after the catalog: settings that grow with the
 * configuration (the metrics) travel in the bundle, not in the function's
 * environment, which Lambda limits to 4 KB. They are the values validated at
 * synth, overrides included, so the function runs exactly what was checked.
 *
 * The entry is named after what it holds, so parallel synths of the same
 * configuration write the same file (atomically), and its content never
 * changes the bundle's hash unless the configuration or handler do.
 *
 * @example
 * const entry = lambdaEntry(
 *   { module: '/repo/functions/aggregate/createAggregateHandler.ts', exportName: 'createAggregateHandler' },
 *   '/repo/streamfold.config.ts',
 *   aggregationSettingsOf(config),
 * ); // export const handler = createAggregateHandler(config.catalog, settings).handler
 */
export function lambdaEntry(
  factory: HandlerFactory,
  configFile: string,
  settings?: unknown,
): string {
  const call =
    settings === undefined
      ? `${factory.exportName}(config.catalog)`
      : `${factory.exportName}(config.catalog, settings)`;
  const source = [
    '// Generated at synth by infra/lambdaEntry.ts: the handler, built with the catalog of the configuration.',
    `import config from ${JSON.stringify(configFile)};`,
    `import { ${factory.exportName} } from ${JSON.stringify(factory.module)};`,
    '',
    ...(settings === undefined
      ? []
      : ['// The settings validated at synth.', `const settings = ${JSON.stringify(settings)};`]),
    `const built = ${call};`,
    "export const handler = typeof built === 'function' ? built : built.handler;",
    '',
  ].join('\n');
  return writeEntry(factory.exportName, source);
}

/**
 * Writes the Lambda entry of a handler module that reads its settings at
 * module load (`functions/query/handler.ts`): a generated module that hands
 * `settings` to `provider`, imported first, then the handler re-exported.
 * ES modules run in import order, so the provider has run when the handler
 * module loads.
 *
 * @returns the entry's path, for `NodejsFunction`'s `entry`
 */
export function settingsFirstEntry(
  handlerModule: string,
  provider: SettingsProvider,
  settings: unknown,
): string {
  const settingsModule = writeEntry(
    provider.exportName,
    [
      '// Generated at synth by infra/lambdaEntry.ts: the settings validated at synth.',
      `import { ${provider.exportName} } from ${JSON.stringify(provider.module)};`,
      '',
      `${provider.exportName}(${JSON.stringify(settings)});`,
      '',
    ].join('\n'),
  );
  return writeEntry(
    'handler',
    [
      '// Generated at synth by infra/lambdaEntry.ts: the handler, after its settings.',
      `import ${JSON.stringify(settingsModule)};`,
      `export { handler } from ${JSON.stringify(handlerModule)};`,
      '',
    ].join('\n'),
  );
}

/** Writes `source` under a name made of `prefix` and its hash, atomically; returns the path. */
function writeEntry(prefix: string, source: string): string {
  const name = createHash('sha256').update(source).digest('hex').slice(0, 16);
  mkdirSync(ENTRIES_FOLDER, { recursive: true });
  const path = join(ENTRIES_FOLDER, `${prefix}-${name}.ts`);
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, source);
  renameSync(partial, path);
  return path;
}
