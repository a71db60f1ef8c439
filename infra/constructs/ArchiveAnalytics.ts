import { Aws, Fn, RemovalPolicy } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { MetricDefinition } from '../../core/config/configSchema.js';
import type { EventCatalog } from '../../core/events/catalog.js';
import { type ArchivePartitionKey, archivePartitioning } from '../archivePartitioning.js';
import { archiveQueries } from '../archiveQueries.js';
import { archiveTableColumns } from '../archiveTableColumns.js';
import { ARCHIVE_TABLE_FORMATS, type ArchiveFormat } from '../archiveTableFormat.js';
import { ANALYTICS_DEFAULTS } from '../defaults.js';
import { secureBucket } from '../secureBucket.js';

/** Props of {@link ArchiveAnalytics}. */
export interface ArchiveAnalyticsProps {
  /** The bucket Firehose archives to. */
  archiveBucket: s3.IBucket;
  /** Firehose's prefix expression; the partition keys and the location template come from it. */
  dataOutputPrefix: string;
  /** Event types and payload schemas; the table's columns come from them. */
  catalog: EventCatalog;
  /** Declared metrics; one example query per metric recomputes it from the archive. */
  metrics: readonly MetricDefinition[];
  /** Glue database name: lower case letters, digits and `_`. */
  databaseName: string;
  /** Athena workgroup name. */
  workGroupName: string;
  /** Receives the results bucket's S3 server access logs. */
  serverAccessLogsBucket: s3.IBucket;
  /**
   * What the objects under the prefix are: gzip NDJSON, or Parquet converted by Firehose.
   *
   * @default 'json'
   */
  format?: ArchiveFormat;
  /**
   * Glue table name.
   *
   * @default ANALYTICS_DEFAULTS.tableName ('events')
   */
  tableName?: string;
  /**
   * What happens to the results bucket when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  removalPolicy?: RemovalPolicy;
  /**
   * Empty the results bucket when the stack deletes it.
   *
   * @default false
   */
  autoDeleteObjects?: boolean;
}

const GLUE_NAME = /^[a-z0-9_]{1,255}$/;

/**
 * Partition projection of each Firehose date pattern, as Athena integer projections.
 *
 * @throws {Error} for a pattern Athena cannot project as an integer range
 */
export function projectionOf(key: ArchivePartitionKey): Record<string, string> {
  const ranges: Record<string, [string, number]> = {
    yyyy: [`${ANALYTICS_DEFAULTS.firstYear},${ANALYTICS_DEFAULTS.lastYear}`, 4],
    MM: ['1,12', 2],
    dd: ['1,31', 2],
    HH: ['0,23', 2],
    mm: ['0,59', 2],
  };
  const projection = ranges[key.pattern];
  if (!projection) {
    throw new Error(
      `archive.prefix partition "${key.name}" uses !{timestamp:${key.pattern}}; only ${Object.keys(ranges).join(', ')} can be projected`,
    );
  }
  const [range, digits] = projection;
  return {
    [`projection.${key.name}.type`]: 'integer',
    [`projection.${key.name}.range`]: range,
    [`projection.${key.name}.digits`]: String(digits),
  };
}

/**
 * SQL over the archive: a Glue database and table with partition projection (no
 * crawler: partitions are computed from the prefix, so new hours are queryable
 * at once), and an Athena workgroup whose encrypted result location and limits
 * are enforced, with example named queries.
 *
 * Columns: `id`, `type`, `time`, `source` (strings) and `data`, one struct with
 * every field of every event type (see `archiveTableColumns`); partition keys as
 * integers, named as in the prefix (`year`, `month`, `day`, `hour`). In the JSON
 * format, empty and malformed lines read as rows whose event columns are null (the
 * SerDe makes a row of each line): filter them with `id IS NOT NULL`, as the saved
 * queries do, which holds unchanged over Parquet. With `format` `'parquet'` the
 * table reads Parquet, and Firehose converts records against these same columns.
 */
export class ArchiveAnalytics extends Construct {
  /** The Glue database. */
  public readonly database: glue.CfnDatabase;
  /** The Glue table over the archive. */
  public readonly table: glue.CfnTable;
  /** Where Athena writes query results. */
  public readonly resultsBucket: s3.Bucket;
  /** The Athena workgroup. */
  public readonly workGroup: athena.CfnWorkGroup;
  /** Example queries, saved in the workgroup. */
  public readonly namedQueries: athena.CfnNamedQuery[];

  public constructor(scope: Construct, id: string, props: ArchiveAnalyticsProps) {
    super(scope, id);
    const tableName = props.tableName ?? ANALYTICS_DEFAULTS.tableName;
    for (const [setting, name] of [
      ['databaseName', props.databaseName],
      ['tableName', tableName],
    ] as const) {
      if (!GLUE_NAME.test(name)) {
        throw new Error(`${setting} must be lower case letters, digits and _ (given "${name}")`);
      }
    }
    const partitioning = archivePartitioning(props.dataOutputPrefix);
    const storage = ARCHIVE_TABLE_FORMATS[props.format ?? 'json'];
    const bucketUrl = `s3://${props.archiveBucket.bucketName}/`;

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: props.databaseName,
        description: 'streamfold: raw events archived by Firehose',
      },
    });
    this.table = new glue.CfnTable(this, 'Table', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: props.databaseName,
      tableInput: {
        name: tableName,
        description: `Raw events as archived by Firehose (${storage.describedAs}), partitioned by arrival hour`,
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: partitioning.keys.map((key) => ({ name: key.name, type: 'int' })),
        parameters: {
          EXTERNAL: 'TRUE',
          ...storage.parameters,
          'projection.enabled': String(partitioning.keys.length > 0),
          ...Object.assign({}, ...partitioning.keys.map(projectionOf)),
          'storage.location.template': Fn.join('', [bucketUrl, partitioning.locationTemplate]),
        },
        storageDescriptor: {
          location: Fn.join('', [bucketUrl, partitioning.rootPrefix]),
          columns: archiveTableColumns(props.catalog),
          inputFormat: storage.inputFormat,
          outputFormat: storage.outputFormat,
          compressed: storage.compressed,
          serdeInfo: {
            serializationLibrary: storage.serializationLibrary,
            parameters: { ...storage.serdeParameters },
          },
        },
      },
    });
    this.table.node.addDependency(this.database);

    this.resultsBucket = secureBucket(this, 'ResultsBucket', {
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      autoDeleteObjects: props.autoDeleteObjects ?? false,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: 'athena-results/',
      lifecycleRules: [{ id: 'expire-results', expiration: ANALYTICS_DEFAULTS.resultsExpiration }],
    });
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: props.workGroupName,
      description: 'streamfold archive queries',
      // Deleting the stack also deletes the workgroup's query history and saved queries.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        // Every query uses this result location and encryption, whatever the client asks.
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: ANALYTICS_DEFAULTS.bytesScannedCutoffPerQuery,
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    const queries = archiveQueries(
      { database: props.databaseName, table: tableName, partitionKeys: partitioning.keys },
      props.metrics,
    );
    this.namedQueries = queries.map((query) => {
      const named = new athena.CfnNamedQuery(this, `Query-${query.id}`, {
        name: query.name,
        description: query.description,
        database: props.databaseName,
        queryString: query.queryString,
        workGroup: this.workGroup.ref,
      });
      named.node.addDependency(this.table);
      return named;
    });
  }
}
