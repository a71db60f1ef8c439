import declared from '../../streamfold.config.js';
import { eventCatalog } from '../events/catalog.js';
import type { StreamfoldConfig, StreamfoldConfigInput } from './configSchema.js';
import { validateConfig } from './validateConfig.js';

/** Partial overrides: any setting at any depth; arrays replace whole. */
export type ConfigOverrides = {
  [K in keyof StreamfoldConfigInput]?: StreamfoldConfigInput[K] extends readonly unknown[]
    ? StreamfoldConfigInput[K]
    : Partial<StreamfoldConfigInput[K]> & Record<string, unknown>;
};

/**
 * Loads `streamfold.config.ts`, applies `overrides` and validates the result
 * against the schema and the event catalog. The CDK stack, the local runtime
 * and the tools all call this, so every value has one source.
 *
 * @throws {ConfigError} naming each invalid setting and its value
 */
export function loadConfig(overrides: ConfigOverrides = {}): StreamfoldConfig {
  return validateConfig(mergeDeep(declared, overrides) as StreamfoldConfigInput, eventCatalog);
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
