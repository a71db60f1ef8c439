import { describe, expect, it } from 'vitest';
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

describe('directPut configuration', () => {
  it('loads the declared direct-PUT stream and the local Firehose port', () => {
    // Act
    const config = loadConfig();

    // Assess
    expect(config.directPut.deliveryStreamName).toBe('streamfold-direct');
    expect(config.directPut.prefix).toMatch(/^direct\//);
    expect(config.local.ports.firehose).toBe(4571);
  });

  it.each<{ name: string; overrides: ConfigOverrides; problems: string[] }>([
    {
      name: 'a prefix inside the archive folder',
      overrides: { directPut: { prefix: 'events/direct/!{timestamp:yyyy}/' } },
      problems: [
        'directPut.prefix: folder "events/direct/" overlaps archive.prefix folder "events/" in the archive bucket (given "events/direct/!{timestamp:yyyy}/")',
      ],
    },
    {
      name: 'an error prefix in the same folder as the data',
      overrides: {
        directPut: { errorOutputPrefix: 'direct/errors/!{firehose:error-output-type}/' },
      },
      problems: [
        'directPut.errorOutputPrefix: folder "direct/errors/" overlaps directPut.prefix folder "direct/" in the archive bucket (given "direct/errors/!{firehose:error-output-type}/")',
      ],
    },
    {
      name: 'a prefix without a static folder',
      overrides: { directPut: { prefix: 'year=!{timestamp:yyyy}/' } },
      problems: [
        'directPut.prefix: must start with a static folder such as "direct/" before any expression (given "year=!{timestamp:yyyy}/")',
      ],
    },
    {
      name: 'a delivery stream name with a space',
      overrides: { directPut: { deliveryStreamName: 'direct put' } },
      problems: [
        'directPut.deliveryStreamName: must be 1-64 of a-z A-Z 0-9 _ . - (given "direct put")',
      ],
    },
  ])('refuses $name, naming the setting and the value', ({ overrides, problems }) => {
    // Act
    const found = problemsOf(overrides);

    // Assess
    expect(found).toEqual(problems);
  });
});
