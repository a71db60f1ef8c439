import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StreamfoldConfig } from '../core/config/configSchema.js';
import { ConfigError } from '../core/config/errors.js';
import { type ConfigOverrides, loadConfig } from '../core/config/loadConfig.js';

/** The environment variable naming the configuration file when `--config` is not given. */
export const CONFIG_ENV_VAR = 'STREAMFOLD_CONFIG';

/**
 * The configuration every subcommand runs with: the file of `--config`, else
 * the one `STREAMFOLD_CONFIG` names, else the repository's
 * `streamfold.config.ts`, with `overrides` (the command line's) applied on top.
 *
 * @throws {ConfigError} when the file cannot be loaded or a setting is invalid
 */
export async function loadCommandConfig(
  file: string | undefined,
  overrides: ConfigOverrides = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<StreamfoldConfig> {
  const path = file ?? (env[CONFIG_ENV_VAR] || undefined);
  if (path === undefined) return loadConfig(overrides);
  // The file's settings go in as overrides of streamfold.config.ts until core/config loads a
  // file of its own choosing; a setting the file leaves out keeps the repository's value.
  return loadConfig(mergeDeep(await importConfigFile(path), overrides) as ConfigOverrides);
}

async function importConfigFile(path: string): Promise<unknown> {
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown };
  } catch (error) {
    throw new ConfigError(
      [`cannot load ${path}: ${error instanceof Error ? error.message : String(error)}`],
      { cause: error },
    );
  }
  if (!isPlainObject(module.default)) {
    throw new ConfigError([
      `${path}: must export a configuration as default, e.g. export default defineConfig({ … })`,
    ]);
  }
  return module.default;
}

function mergeDeep(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override))
    return override === undefined ? base : override;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) merged[key] = mergeDeep(base[key], value);
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
