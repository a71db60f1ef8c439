import type { StreamfoldConfig } from '../../core/config/configSchema.js';

/** What the query API needs from the configuration: the declared metrics and windows. */
export type QuerySettings = Pick<StreamfoldConfig, 'metrics' | 'windows'>;
