import { describe, expect, it } from 'vitest';
import { PARQUET_MIN_BUFFERING_SIZE_MIB } from '../../../core/config/archiveFormatProblems.js';
import { ConfigError } from '../../../core/config/errors.js';
import { type ConfigOverrides, loadConfig } from '../../../core/config/loadConfig.js';

function problemsOf(overrides: ConfigOverrides): readonly string[] {
  try {
    loadConfig(overrides);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError, but the configuration loaded');
}

describe('archive.format', () => {
  it('defaults to json, keeping every record as received', () => {
    expect(loadConfig().archive.format).toBe('json');
  });

  it('accepts parquet with the default 64 MiB buffer and no compression written', () => {
    // Act
    const config = loadConfig({ archive: { format: 'parquet' } });

    // Assess
    expect(config.archive.format).toBe('parquet');
    expect(config.archive.bufferingSizeMiB).toBe(PARQUET_MIN_BUFFERING_SIZE_MIB);
  });

  it('refuses a value other than json or parquet, naming the setting', () => {
    const problems = problemsOf({ archive: { format: 'orc' as 'json' } });
    expect(problems.join('\n')).toMatch(/archive\.format.*"orc"/);
  });

  /**
   * "Enable record format conversion"
   * (https://docs.aws.amazon.com/firehose/latest/dev/enable-record-format-conversion.html):
   * "Also, Amazon S3 compression gets disabled when you enable format conversion.
   * However, Snappy compression happens automatically as part of the conversion
   * process."
   */
  it('refuses an S3 compression written with parquet, naming the setting and value', () => {
    expect(problemsOf({ archive: { format: 'parquet', compression: 'GZIP' } })).toEqual([
      'archive.compression: must not be set with archive.format "parquet"; Firehose disables S3 compression when it converts records, and Parquet compresses its pages with Snappy (given "GZIP")',
    ]);
  });

  /**
   * The minimum buffer of a conversion: aws-cdk-lib 2.276's Firehose S3
   * destination refuses less with "When data format conversion or dynamic
   * partitioning is enabled, buffering size must be at least 64 MiBs".
   */
  it('refuses a buffer under 64 MiB with parquet, and allows it with json', () => {
    expect(problemsOf({ archive: { format: 'parquet', bufferingSizeMiB: 63 } })).toEqual([
      'archive.bufferingSizeMiB: must be at least 64 with archive.format "parquet", as Firehose record format conversion requires (given 63)',
    ]);
    expect(loadConfig({ archive: { bufferingSizeMiB: 63 } }).archive.bufferingSizeMiB).toBe(63);
  });
});
