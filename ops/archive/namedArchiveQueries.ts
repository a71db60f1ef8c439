import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import { archivePartitioning } from '../../infra/archivePartitioning.js';
import { type ArchiveQuery, archiveQueries } from '../../infra/archiveQueries.js';
import { ANALYTICS_DEFAULTS, type Stage } from '../../infra/defaults.js';
import { resourceNames } from '../../infra/StreamfoldStack.js';

/** The stack's saved Athena queries of one stage, and the table they read. */
export interface NamedArchiveQueries {
  /** Glue database of the stage, for example `streamfold_dev`. */
  database: string;
  /** Glue table, `events`. */
  table: string;
  queries: ArchiveQuery[];
}

/**
 * The named queries the stack saves in the stage's Athena workgroup, with
 * exactly the SQL Athena runs: built by the same `archiveQueries` call as
 * `ArchiveAnalytics`, over the same database, table and partition keys.
 */
export function namedArchiveQueries(config: StreamfoldConfig, stage: Stage): NamedArchiveQueries {
  const database = resourceNames(config, stage).glueDatabase;
  const table = ANALYTICS_DEFAULTS.tableName;
  const partitionKeys = archivePartitioning(config.archive.prefix).keys;
  return {
    database,
    table,
    queries: archiveQueries({ database, table, partitionKeys }, config.metrics),
  };
}
