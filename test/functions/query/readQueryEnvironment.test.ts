import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config/loadConfig.js';
import {
  queryFunctionEnvironment,
  querySettingsOf,
} from '../../../core/config/queryFunctionEnvironment.js';
import {
  provideQuerySettings,
  readQueryEnvironment,
} from '../../../functions/query/readQueryEnvironment.js';

const config = loadConfig();
const environment = queryFunctionEnvironment(config, { tableName: 'aggregates' });

// One module state per test file: the cases run in order, as a cold start does.
describe('readQueryEnvironment', () => {
  it('throws saying the settings were not provided when the entry did not provide them', () => {
    expect(() => readQueryEnvironment(environment)).toThrow('query settings were not provided');
  });

  it('refuses invalid settings, naming the setting and the value', () => {
    expect(() => provideQuerySettings({ metrics: [], windows: { '1m': {} } })).toThrow(
      'query settings metrics: Too small',
    );
  });

  it('reads the provided settings and the table name', () => {
    // Act
    provideQuerySettings(querySettingsOf(config));

    // Assess
    expect(readQueryEnvironment(environment)).toEqual({
      tableName: 'aggregates',
      settings: querySettingsOf(config),
    });
  });
});
