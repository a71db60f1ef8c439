import type { StreamfoldConfig } from '../core/config/configSchema.js';
import type { ConfigOverrides } from '../core/config/loadConfig.js';
import { loadCommandConfig } from './loadCommandConfig.js';
import { localStackOverrides, localStackSettings } from './localStackOverrides.js';
import { type CommandArgsSpec, parseCommandArgs } from './parseCommandArgs.js';
import type { CommandContext } from './Subcommand.js';

/**
 * The configuration a subcommand runs with, from its command line: the file
 * of `--config` (or `STREAMFOLD_CONFIG`), the local stack's `--host` and
 * `--<service>-port` (or their environment variables) and the command's own
 * `overrides` on top.
 *
 * @throws {UsageError} for a bad host or port
 * @throws {ConfigError} when the file cannot be loaded or a setting is invalid
 */
export async function commandConfig(
  argv: readonly string[],
  spec: CommandArgsSpec,
  context: Pick<CommandContext, 'env'>,
  overrides: ConfigOverrides = {},
): Promise<StreamfoldConfig> {
  const args = parseCommandArgs(argv, spec);
  const local = localStackOverrides(localStackSettings(args, context.env));
  const merged: ConfigOverrides = {
    ...overrides,
    ...(local.local || overrides.local ? { local: { ...overrides.local, ...local.local } } : {}),
  };
  return loadCommandConfig(args.text('config'), merged, context.env);
}
