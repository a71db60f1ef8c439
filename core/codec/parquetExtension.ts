/**
 * The name ending of the archive objects Firehose writes when it converts records
 * to Parquet (`archive.format` `'parquet'`); the local archiver names them the same,
 * and archive readers tell the formats apart by it.
 */
export const PARQUET_EXTENSION = '.parquet';
