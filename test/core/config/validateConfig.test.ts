import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../core/config/errors.js';
import { type ConfigOverrides, loadConfig } from '../../../core/config/loadConfig.js';
import { validateConfig } from '../../../core/config/validateConfig.js';
import { webShopCatalog } from '../../../examples/web-shop/catalog.js';
import declared from '../../../streamfold.config.js';

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but the configuration loaded');
}

const countMetric = {
  name: 'events',
  on: 'page_view',
  groupBy: [],
  stats: ['count' as const],
  windows: ['1m'],
};

describe('loadConfig', () => {
  it('loads the declared configuration when there are no overrides', () => {
    // Act
    const config = loadConfig();

    // Assess
    expect(config.catalog).toBe(declared.catalog);
    expect(config.windows).toEqual(declared.windows);
    expect(config.metrics.map((m) => m.name)).toEqual(declared.metrics.map((m) => m.name));
  });

  it('applies a nested override and keeps the sibling settings', () => {
    // Act
    const config = loadConfig({ aggregation: { batchSize: 10 } });

    // Assess
    expect(config.aggregation.batchSize).toBe(10);
    expect(config.aggregation.maxBatchingWindow).toBe('1s');
  });

  it('applies schema defaults when optional settings are left out', () => {
    // Act
    const config = loadConfig({ metrics: [{ name: 'x', on: 'purchase', windows: ['1m'] }] });

    // Assess
    expect(config.metrics[0]).toMatchObject({ groupBy: [], stats: ['count'] });
  });

  describe.each<{ name: string; overrides: ConfigOverrides; mentions: string[] }>([
    {
      name: 'batchSize 0',
      overrides: { aggregation: { batchSize: 0 } },
      mentions: ['aggregation.batchSize', '(given 0)'],
    },
    {
      name: 'batchSize 10001',
      overrides: { aggregation: { batchSize: 10_001 } },
      mentions: ['aggregation.batchSize', '(given 10001)'],
    },
    {
      name: 'a duration that does not parse',
      overrides: { stream: { retention: 'abc' as '1d' } },
      mentions: ['stream.retention', '"abc"'],
    },
    {
      name: 'maxBatchingWindow 400s',
      overrides: { aggregation: { maxBatchingWindow: '400s' } },
      mentions: ['aggregation.maxBatchingWindow', '"400s"', '300s'],
    },
    {
      name: 'stream retention below 24h',
      overrides: { stream: { retention: '23h' } },
      mentions: ['stream.retention', '"23h"'],
    },
    {
      name: 'a window retention shorter than the window',
      overrides: { windows: { '1h': { retention: '30m' } } },
      mentions: ['windows.1h.retention', '"30m"'],
    },
    {
      name: 'a metric referencing an unknown window',
      overrides: { metrics: [{ ...countMetric, windows: ['5m'] }] },
      mentions: ['metrics.0.windows', '"5m"'],
    },
    {
      name: 'a metric on an unknown event type',
      overrides: { metrics: [{ ...countMetric, on: ['page_view', 'signup'] }] },
      mentions: ['metrics.0.on', '"signup"'],
    },
    {
      name: 'a metric whose value path is not numeric',
      overrides: {
        metrics: [{ ...countMetric, on: 'purchase', value: 'data.country', stats: ['sum'] }],
      },
      mentions: ['metrics.0.value', '"data.country"', 'purchase'],
    },
    {
      name: 'a metric whose value path does not exist',
      overrides: { metrics: [{ ...countMetric, value: 'data.nope', stats: ['sum'] }] },
      mentions: ['metrics.0.value', '"data.nope"'],
    },
    {
      name: 'a sum without a value path',
      overrides: { metrics: [{ ...countMetric, stats: ['sum'] }] },
      mentions: ['metrics.0.value', '["sum"]'],
    },
    {
      name: 'a percentile without a value path',
      overrides: { metrics: [{ ...countMetric, stats: ['count', 'p99'] }] },
      mentions: ['metrics.0.value', '["count","p99"]', '(given none)'],
    },
    {
      name: 'an unknown percentile',
      overrides: { metrics: [{ ...countMetric, stats: ['p95' as 'p99'] }] },
      mentions: ['metrics.0.stats.0', 'p95'],
    },
    {
      name: 'a groupBy path that does not exist',
      overrides: { metrics: [{ ...countMetric, groupBy: ['data.amount'] }] },
      mentions: ['metrics.0.groupBy', '"data.amount"', 'page_view'],
    },
    {
      name: 'a duplicate metric name',
      overrides: { metrics: [countMetric, { ...countMetric, on: 'purchase' }] },
      mentions: ['metrics.1.name', 'duplicate', '"events"'],
    },
    {
      name: 'a metric name that is not snake_case',
      overrides: { metrics: [{ ...countMetric, name: 'Revenue-Total' }] },
      mentions: ['metrics.0.name', '"Revenue-Total"'],
    },
    {
      name: 'parallelizationFactor 2',
      overrides: { aggregation: { parallelizationFactor: 2 as 1 } },
      mentions: ['aggregation.parallelizationFactor', '(given 2)'],
    },
  ])('when given $name', ({ overrides, mentions }) => {
    it('throws a ConfigError naming the setting path and the value', () => {
      // Act
      const error = configErrorOf(() => loadConfig(overrides));

      // Assess
      expect(error.name).toBe('ConfigError');
      expect(error.problems.length).toBeGreaterThan(0);
      for (const text of mentions) expect(error.message).toContain(text);
    });
  });

  it('reports every problem when several settings are invalid', () => {
    // Act
    const error = configErrorOf(() =>
      loadConfig({ aggregation: { batchSize: 0, memorySize: 64 } }),
    );

    // Assess
    expect(error.problems).toHaveLength(2);
    expect(error.problems.join('\n')).toMatch(
      /aggregation\.batchSize[\s\S]*aggregation\.memorySize/,
    );
  });
});

describe('validateConfig', () => {
  it('checks metrics against the catalog it declares', () => {
    // Prepare: a catalog without purchase
    const { purchase: _, ...catalog } = webShopCatalog;

    // Act
    const error = configErrorOf(() => validateConfig({ ...declared, catalog }));

    // Assess
    expect(error.message).toContain('unknown event type "purchase"');
  });

  it('names (root) when the input is not an object', () => {
    // Act
    const error = configErrorOf(() => validateConfig(null as never));

    // Assess
    expect(error.problems[0]).toMatch(/^\(root\): /);
  });
});
