import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../core/config/errors.js';
import { type ConfigOverrides, loadConfig } from '../../../core/config/loadConfig.js';
import { validateConfig } from '../../../core/config/validateConfig.js';
import declared from '../../../streamfold.config.js';

describe('ingest settings', () => {
  it('defaults allowOrigins to none when the setting is left out', () => {
    // Prepare
    const ingest = { path: '/in', maxRequestBytes: 2_048 };

    // Act
    const config = validateConfig({ ...declared, ingest });

    // Assess
    expect(config.ingest).toEqual({
      ...ingest,
      maxEventsPerRequest: 500,
      acknowledgeTimeout: '10s',
      allowOrigins: [],
    });
  });

  describe.each<{ name: string; overrides: ConfigOverrides; mentions: string[] }>([
    {
      name: 'a path without a leading slash',
      overrides: { ingest: { path: 'events' } },
      mentions: ['ingest.path', '"events"'],
    },
    {
      name: 'maxRequestBytes over 4 MiB',
      overrides: { ingest: { maxRequestBytes: 5 * 1024 * 1024 } },
      mentions: ['ingest.maxRequestBytes', '(given 5242880)'],
    },
    {
      name: 'maxEventsPerRequest 0',
      overrides: { ingest: { maxEventsPerRequest: 0 } },
      mentions: ['ingest.maxEventsPerRequest', '(given 0)'],
    },
    {
      name: 'acknowledgeTimeout 30s',
      overrides: { ingest: { acknowledgeTimeout: '30s' } },
      mentions: ['ingest.acknowledgeTimeout', 'between 1s and 20s', '"30s"'],
    },
    {
      name: 'a wildcard origin',
      overrides: { ingest: { allowOrigins: ['*'] } },
      mentions: ['ingest.allowOrigins.0', '"*"'],
    },
  ])('when given $name', ({ overrides, mentions }) => {
    it('throws a ConfigError naming the setting path and the value', () => {
      let error: unknown;
      try {
        loadConfig(overrides);
      } catch (caught) {
        error = caught;
      }

      expect(error).toBeInstanceOf(ConfigError);
      for (const text of mentions) expect((error as Error).message).toContain(text);
    });
  });
});
