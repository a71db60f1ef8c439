import type { StreamfoldConfig } from '../core/config/configSchema.js';
import { ANALYTICS_DEFAULTS } from './defaults.js';

/** What the archive stores under its prefix (`archive.format`). */
export type ArchiveFormat = StreamfoldConfig['archive']['format'];

/** How the Glue table reads objects of one archive format. */
export interface ArchiveTableFormat {
  /** Words of the table's description. */
  describedAs: string;
  /** Table parameters that say the format (`classification`, compression). */
  parameters: Record<string, string>;
  inputFormat: string;
  outputFormat: string;
  compressed: boolean;
  serializationLibrary: string;
  serdeParameters: Record<string, string>;
}

/**
 * The Glue storage of each archive format: the OpenX JSON SerDe over gzip
 * text, or the Hive Parquet SerDe over the objects Firehose converts (their
 * pages are Snappy-compressed inside the file, so the table is not
 * `compressed` at the object level).
 */
export const ARCHIVE_TABLE_FORMATS: Record<ArchiveFormat, ArchiveTableFormat> = {
  json: {
    describedAs: 'gzip NDJSON',
    parameters: { classification: 'json', compressionType: 'gzip' },
    inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
    outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
    compressed: true,
    serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
    serdeParameters: { ...ANALYTICS_DEFAULTS.serdeParameters },
  },
  parquet: {
    describedAs: 'Parquet, converted from JSON by Firehose',
    parameters: { classification: 'parquet' },
    inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
    outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
    compressed: false,
    serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
    serdeParameters: { 'serialization.format': '1' },
  },
};
