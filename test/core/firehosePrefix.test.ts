import { describe, expect, it } from 'vitest';
import { expandFirehosePrefix } from '../../core/codec/firehosePrefix.js';
import { loadConfig } from '../../core/config/loadConfig.js';

describe('expandFirehosePrefix', () => {
  const time = new Date('2026-03-04T05:06:07.890Z');

  it('expands the timestamp namespace in UTC when given Java date patterns', () => {
    // Act
    const key = expandFirehosePrefix(
      'y=!{timestamp:yyyy}/m=!{timestamp:MM}/d=!{timestamp:dd}/h=!{timestamp:HH}/!{timestamp:mm-ss}/',
      time,
    );
    // Assess
    expect(key).toBe('y=2026/m=03/d=04/h=05/06-07/');
  });

  it('expands the configured archive prefix into Hive-style partitions', () => {
    // Act
    const key = expandFirehosePrefix(loadConfig().archive.prefix, time);
    // Assess
    expect(key).toBe('events/year=2026/month=03/day=04/hour=05/');
  });

  it('fills the firehose namespace when given values', () => {
    // Act
    const key = expandFirehosePrefix(
      'errors/!{firehose:error-output-type}/!{firehose:random-string}/',
      time,
      {
        errorOutputType: 'format-conversion-failed',
        randomString: 'abc',
      },
    );
    // Assess
    expect(key).toBe('errors/format-conversion-failed/abc/');
  });

  it('throws naming the expression when the namespace key is unknown', () => {
    // Act / Assess
    expect(() => expandFirehosePrefix('!{firehose:nope}', time)).toThrow('!{firehose:nope}');
  });
});
