import type { StreamfoldConfig } from '../core/config/configSchema.js';
import { type ConfigOverrides, loadConfigFile } from '../core/config/loadConfig.js';

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
  return (await loadConfigFile(file, overrides, env)).config;
}
