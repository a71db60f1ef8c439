import type { StreamfoldConfig } from './configSchema.js';
import type { ConfigOverrides } from './loadConfig.js';

/** Where a validated configuration was read from, so another thread can read it again. */
export interface ConfigSource {
  /** Absolute path of the configuration file. */
  file: string;
  /** Overrides applied on top of it (plain data). */
  overrides: ConfigOverrides;
}

// A side table rather than a property: the configuration stays exactly what the schema says,
// and a configuration built in memory (tests) simply has no source.
const sources = new WeakMap<StreamfoldConfig, ConfigSource>();

/** Records where `config` was loaded from; `loadConfig` and `loadConfigFile` call it. */
export function recordConfigSource(config: StreamfoldConfig, source: ConfigSource): void {
  sources.set(config, source);
}

/**
 * Where `config` was loaded from. A worker thread cannot be handed the
 * configuration itself (its catalog holds zod schemas, its `sampleEvents` a
 * function), so it is handed this and loads the file again.
 *
 * @throws {Error} when `config` was not loaded from a file
 */
export function configSourceOf(config: StreamfoldConfig): ConfigSource {
  const source = sources.get(config);
  if (!source) {
    throw new Error(
      'this configuration was not loaded from a file (loadConfig or loadConfigFile), so a worker thread cannot load it again',
    );
  }
  return source;
}
