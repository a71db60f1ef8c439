import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/loadConfig.js';
import { archivePartitioning, staticRootOf } from '../../infra/archivePartitioning.js';

describe('archivePartitioning', () => {
  it('reads root, keys and location template when segments are name=!{timestamp:pattern}', () => {
    // Act
    const partitioning = archivePartitioning(
      'events/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
    );

    // Assess
    expect(partitioning).toEqual({
      rootPrefix: 'events/',
      keys: [
        { name: 'year', pattern: 'yyyy' },
        { name: 'month', pattern: 'MM' },
        { name: 'day', pattern: 'dd' },
        { name: 'hour', pattern: 'HH' },
      ],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's location template syntax
      locationTemplate: 'events/year=${year}/month=${month}/day=${day}/hour=${hour}/',
    });
  });

  it('accepts the configured archive prefix', () => {
    const { archive } = loadConfig();

    expect(() => archivePartitioning(archive.prefix)).not.toThrow();
  });

  it('keeps static segments between partitions when the prefix has them', () => {
    const partitioning = archivePartitioning('raw/v1/dt=!{timestamp:yyyy}/');

    expect(partitioning.rootPrefix).toBe('raw/v1/');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's location template syntax
    expect(partitioning.locationTemplate).toBe('raw/v1/dt=${dt}/');
  });

  it('has no keys when the prefix has no expression', () => {
    expect(archivePartitioning('events/')).toEqual({
      rootPrefix: 'events/',
      keys: [],
      locationTemplate: 'events/',
    });
  });

  it.each([
    ['year=!{timestamp:yyyy}/', 'must start with a static folder'],
    ['events/!{timestamp:yyyy}/', 'must have the form name=!{timestamp:pattern}'],
    ['events/y=!{firehose:random-string}/', 'must have the form name=!{timestamp:pattern}'],
    ['events/d=!{timestamp:yyyy}/d=!{timestamp:MM}/', 'names partition "d" twice'],
  ])('throws naming archive.prefix when given %s', (prefix, message) => {
    expect(() => archivePartitioning(prefix)).toThrow(message);
    expect(() => archivePartitioning(prefix)).toThrow(`(given "${prefix}")`);
  });
});

describe('staticRootOf', () => {
  it.each([
    ['events/year=!{timestamp:yyyy}/', 'events/'],
    ['errors/!{firehose:error-output-type}/', 'errors/'],
    ['year=!{timestamp:yyyy}/', ''],
    ['events/', 'events/'],
  ])('gives the static folder of %s', (prefix, root) => {
    expect(staticRootOf(prefix)).toBe(root);
  });
});
