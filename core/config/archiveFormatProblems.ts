import type { StreamfoldConfig, StreamfoldConfigInput } from './configSchema.js';

/**
 * Smallest buffer Firehose takes when record format conversion is on, MiB
 * (the AWS CDK refuses less with "When data format conversion or dynamic
 * partitioning is enabled, buffering size must be at least 64 MiBs").
 */
export const PARQUET_MIN_BUFFERING_SIZE_MIB = 64;

/**
 * What Firehose refuses with `archive.format` `'parquet'`: a buffer under
 * 64 MiB, and a compression setting at the S3 level (the console disables it
 * and the API rejects it; Parquet compresses its pages itself). `compression`
 * has a default, so only a value written in the configuration is refused.
 *
 * @param input - the configuration as written, to tell a written compression from the default
 * @param config - the validated configuration
 * @returns one message per problem, naming the setting and the value
 */
export function archiveFormatProblems(
  input: StreamfoldConfigInput,
  config: StreamfoldConfig,
): string[] {
  if (config.archive.format !== 'parquet') return [];
  const problems: string[] = [];
  if (config.archive.bufferingSizeMiB < PARQUET_MIN_BUFFERING_SIZE_MIB) {
    problems.push(
      `archive.bufferingSizeMiB: must be at least ${PARQUET_MIN_BUFFERING_SIZE_MIB} with archive.format "parquet", as Firehose record format conversion requires (given ${config.archive.bufferingSizeMiB})`,
    );
  }
  const written = input.archive?.compression;
  if (written !== undefined) {
    problems.push(
      `archive.compression: must not be set with archive.format "parquet"; Firehose disables S3 compression when it converts records, and Parquet compresses its pages with Snappy (given ${JSON.stringify(written)})`,
    );
  }
  return problems;
}
