import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import declared from '../../streamfold.config.js';
import type { StreamfoldConfig, StreamfoldConfigInput } from './configSchema.js';
import { recordConfigSource } from './configSource.js';
import { ConfigError, ConfigFileError } from './errors.js';
import { validateConfig } from './validateConfig.js';

/** Partial overrides: any setting at any depth; arrays, `catalog` and functions replace whole. */
export type ConfigOverrides = {
  [K in keyof StreamfoldConfigInput]?: StreamfoldConfigInput[K] extends
    | readonly unknown[]
    | ((...args: never[]) => unknown)
    ? StreamfoldConfigInput[K]
    : K extends 'catalog'
      ? StreamfoldConfigInput[K]
      : Partial<StreamfoldConfigInput[K]> & Record<string, unknown>;
};

/** The environment variable naming the configuration file when `--config` does not. */
export const CONFIG_FILE_VARIABLE = 'STREAMFOLD_CONFIG';

/** The configuration file used when none is named: the shipped web-shop example. */
export const DEFAULT_CONFIG_FILE = fileURLToPath(
  new URL('../../streamfold.config.ts', import.meta.url),
);

/** A configuration module as imported, not yet validated, and the file it came from. */
export interface DeclaredConfig {
  /** The module's default export. */
  declared: unknown;
  /** Absolute path of the file. */
  file: string;
}

/** The shipped `streamfold.config.ts`, imported statically so {@link loadConfig} stays synchronous. */
export const DEFAULT_DECLARED_CONFIG: DeclaredConfig = { declared, file: DEFAULT_CONFIG_FILE };

/**
 * Loads the shipped `streamfold.config.ts`, applies `overrides` and validates
 * the result against the schema and its event catalog. Tests and benchmarks
 * use it; commands that take `--config` use {@link loadConfigFile}.
 *
 * @throws {ConfigError} naming each invalid setting and its value
 */
export function loadConfig(overrides: ConfigOverrides = {}): StreamfoldConfig {
  return validateDeclaredConfig(DEFAULT_DECLARED_CONFIG, overrides);
}

/**
 * Loads the configuration file `file` (a TypeScript or JavaScript module whose
 * default export is the configuration, as `defineConfig` returns it), else the
 * one `STREAMFOLD_CONFIG` names, else the shipped `streamfold.config.ts`;
 * applies `overrides` and validates the result.
 *
 * @returns the validated configuration and the absolute path it was read from
 * @throws {ConfigError} when the file is missing, cannot be imported, has no
 *   default export, or holds an invalid setting (each named with its value)
 */
export async function loadConfigFile(
  file: string | undefined,
  overrides: ConfigOverrides = {},
  environment: NodeJS.ProcessEnv = process.env,
): Promise<{ config: StreamfoldConfig; file: string }> {
  const module = await importConfigFile(file, environment);
  return { config: validateDeclaredConfig(module, overrides), file: module.file };
}

/**
 * Imports a configuration module without validating it: `file`, else the one
 * `STREAMFOLD_CONFIG` names, else the shipped `streamfold.config.ts`.
 *
 * @param option how the file was named, for messages (`--config`, `-c config`)
 * @throws {ConfigError} when the file is missing, cannot be imported or has no default export
 */
export async function importConfigFile(
  file: string | undefined,
  environment: NodeJS.ProcessEnv = process.env,
  option = '--config',
): Promise<DeclaredConfig> {
  const named = file ?? environment[CONFIG_FILE_VARIABLE];
  if (named === undefined || named === '') return DEFAULT_DECLARED_CONFIG;
  const path = resolve(named);
  const origin = file !== undefined ? option : CONFIG_FILE_VARIABLE;
  if (!existsSync(path)) {
    throw new ConfigFileError(`${origin}: no configuration file at ${path} (given "${named}")`);
  }
  // Importing a directory fails with Node's resolver message, which names neither the option
  // nor what to give instead.
  if (statSync(path).isDirectory()) {
    throw new ConfigFileError(`${origin}: ${path} is a directory; give the configuration file`);
  }
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (error) {
    throw new ConfigFileError(
      `${path}: cannot be loaded: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  if (module.default instanceof Promise) {
    throw new ConfigError([
      `${path}: the default export is a Promise; export the configuration object itself (export default defineConfig({ ... }))`,
    ]);
  }
  if (typeof module.default !== 'object' || module.default === null) {
    throw new ConfigError([
      `${path}: must export the configuration as its default export (export default defineConfig({ ... }))`,
    ]);
  }
  return { declared: module.default, file: path };
}

/**
 * Applies `overrides` to an imported configuration and validates it, recording
 * where it came from (see `configSourceOf`).
 *
 * @throws {ConfigError} naming each invalid setting and its value, and the file
 */
export function validateDeclaredConfig(
  module: DeclaredConfig,
  overrides: ConfigOverrides = {},
): StreamfoldConfig {
  try {
    const config = validateConfig(mergeDeep(module.declared, overrides) as StreamfoldConfigInput);
    recordConfigSource(config, { file: module.file, overrides });
    return config;
  } catch (error) {
    if (error instanceof ConfigError && module.file !== DEFAULT_CONFIG_FILE) {
      throw new ConfigError(error.problems.map((problem) => `${module.file}: ${problem}`));
    }
    throw error;
  }
}

/** Settings replaced whole by an override rather than merged key by key. */
const REPLACED_WHOLE = new Set(['catalog']);

function mergeDeep(base: unknown, override: unknown, key = ''): unknown {
  if (REPLACED_WHOLE.has(key) || !isPlainObject(base) || !isPlainObject(override))
    return override === undefined ? base : override;
  const merged: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(override))
    merged[name] = mergeDeep(base[name], value, key === '' ? name : `${key}.${name}`);
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
