import { describe, expect, it } from 'vitest';
import { aggregationSettingsOf } from '../../../core/aggregates/compileMetrics.js';
import {
  AGGREGATE_FUNCTION_ENV,
  aggregateFunctionEnvironment,
} from '../../../core/config/aggregateFunctionEnvironment.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import { readAggregateEnvironment } from '../../../functions/aggregate/readAggregateEnvironment.js';

const config = loadConfig();
const environment = aggregateFunctionEnvironment(config, {
  tableName: 'aggregates',
  rejectsBucketName: 'rejects',
});

describe('readAggregateEnvironment', () => {
  it('takes the settings it is given and the names from the environment', () => {
    // Act
    const read = readAggregateEnvironment(environment, aggregationSettingsOf(config));

    // Assess
    expect(read).toMatchObject({
      tableName: 'aggregates',
      rejectsBucketName: 'rejects',
      rejectsPrefix: config.rejects.rejectsPrefix,
      settings: aggregationSettingsOf(config),
    });
  });

  it('throws naming the setting and the value when a bundled setting is invalid', () => {
    // Prepare
    const settings = { ...aggregationSettingsOf(config), events: { maxLateness: 'soon' } };

    // Act
    const act = () => readAggregateEnvironment(environment, settings);

    // Assess
    expect(act).toThrow('aggregation settings events.maxLateness');
    expect(act).toThrow('(given "soon")');
  });

  it('throws naming the variable when a resource name is missing', () => {
    const { [AGGREGATE_FUNCTION_ENV.tableName]: _omitted, ...rest } = environment;

    expect(() => readAggregateEnvironment(rest, aggregationSettingsOf(config))).toThrow(
      '`AGGREGATES_TABLE_NAME` environment variable is not set',
    );
  });
});
