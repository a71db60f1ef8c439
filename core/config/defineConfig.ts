import type { StreamfoldConfigInput } from './configSchema.js';

/**
 * Declares the configuration with type checking in the editor. Validation
 * happens when it is loaded (see {@link loadConfig}).
 */
export function defineConfig(config: StreamfoldConfigInput): StreamfoldConfigInput {
  return config;
}
