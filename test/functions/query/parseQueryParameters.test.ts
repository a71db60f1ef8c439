import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config/loadConfig.js';
import { QueryParameterError, UnknownMetricError } from '../../../functions/query/errors.js';
import {
  DEFAULT_RANGE_BUCKETS,
  DEFAULT_SERIES_LIMIT,
  MAX_RANGE_BUCKETS,
  parseGroupsParameters,
  parseMetricsParameters,
  parseSeriesParameters,
  parseTopParameters,
} from '../../../functions/query/parseQueryParameters.js';
import { answerQueryRequest } from '../../../functions/query/queryRoutes.js';

const config = loadConfig();
const NOW = Date.parse('2026-11-22T10:15:30.000Z');
const MINUTE = 60_000;

function series(query: string) {
  return parseSeriesParameters(new URLSearchParams(query), config, NOW);
}

function top(query: string) {
  return parseTopParameters(new URLSearchParams(query), config, NOW);
}

/** The error `act` throws; fails the test when it throws nothing. */
function errorOf(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, none was thrown');
}

describe('parseSeriesParameters', () => {
  it('defaults group to *, limit to 500, until to now and since to 100 windows before', () => {
    // Act
    const params = series('metric=revenue&window=1m');

    // Assess
    expect(params.group).toBe('*');
    expect(params.scope).toBe('total');
    expect(params.limit).toBe(DEFAULT_SERIES_LIMIT);
    expect(params.lastBucketMs).toBe(Date.parse('2026-11-22T10:15:00.000Z'));
    expect(params.firstBucketMs).toBe(params.lastBucketMs - DEFAULT_RANGE_BUCKETS * MINUTE);
    expect(params.cursor).toBeUndefined();
  });

  it.each([
    ['metric=revenue', 'revenue', '*', 'total'],
    ['metric=revenue&group=*', 'revenue', '*', 'total'],
    ['metric=revenue&group=country%3DDE', 'revenue', 'country=DE', 'group'],
    ['metric=flat', 'flat', '*', 'group'],
    ['metric=flat&group=*', 'flat', '*', 'group'],
  ])('reads %s as metric %s, group %s, scope %s', (query, metric, group, scope) => {
    // Prepare
    const revenue = config.metrics.find((m) => m.name === 'revenue');
    const settings = {
      ...config,
      // An ungrouped metric: its one stored group * holds all its events.
      metrics: [
        ...config.metrics,
        { ...(revenue as NonNullable<typeof revenue>), name: 'flat', groupBy: [] },
      ],
    };

    // Act
    const params = parseSeriesParameters(new URLSearchParams(query), settings, NOW);

    // Assess
    expect(params).toMatchObject({ metric: { name: metric }, group, scope });
  });

  it('reads durations back from now and ISO times with offsets, aligned to bucket starts', () => {
    // Act
    const byDuration = series('metric=revenue&window=1m&since=1h&until=15m');
    const byIso = series(
      'metric=revenue&window=1h&since=2026-11-22T09:30:00%2B01:00&until=2026-11-22T09:59:59Z',
    );

    // Assess
    expect(byDuration.firstBucketMs).toBe(Date.parse('2026-11-22T09:15:00.000Z'));
    expect(byDuration.lastBucketMs).toBe(Date.parse('2026-11-22T10:00:00.000Z'));
    expect(byIso.firstBucketMs).toBe(Date.parse('2026-11-22T08:00:00.000Z'));
    expect(byIso.lastBucketMs).toBe(Date.parse('2026-11-22T09:00:00.000Z'));
  });

  it('accepts a range of exactly 10,000 buckets', () => {
    // Act
    const params = series(`metric=revenue&window=1m&since=${MAX_RANGE_BUCKETS - 1}m`);

    // Assess
    expect((params.lastBucketMs - params.firstBucketMs) / MINUTE + 1).toBe(MAX_RANGE_BUCKETS);
  });

  it('answers 404 naming an unknown metric', () => {
    // Act
    const error = errorOf(() => series('metric=nope'));

    // Assess
    expect(error).toBeInstanceOf(UnknownMetricError);
    expect(error).toMatchObject({ status: 404, code: 'unknown_metric' });
    expect((error as Error).message).toContain('"nope"');
  });

  it.each([
    ['metric missing', 'window=1m', 'metric', undefined],
    ['window not kept by the metric', 'metric=page_views&window=1d', 'window', '1d'],
    ['window not a duration', 'metric=revenue&window=soon', 'window', 'soon'],
    ['since not a time', 'metric=revenue&since=yesterday', 'since', 'yesterday'],
    [
      'since without an offset',
      'metric=revenue&since=2026-11-22T10:00:00',
      'since',
      '2026-11-22T10:00:00',
    ],
    ['until not a time', 'metric=revenue&until=12', 'until', '12'],
    [
      'since a duration back past the earliest date',
      'metric=revenue&since=99999999999999999999d',
      'since',
      '99999999999999999999d',
    ],
    [
      'until a duration of more digits than a double holds',
      `metric=revenue&until=1${'0'.repeat(400)}ms`,
      'until',
      `1${'0'.repeat(400)}ms`,
    ],
    ['since after until', 'metric=revenue&since=1h&until=2h', 'since', '1h'],
    [
      'range over 10,000 buckets',
      `metric=revenue&window=1m&since=${MAX_RANGE_BUCKETS}m`,
      'since',
      `${MAX_RANGE_BUCKETS}m`,
    ],
    ['limit zero', 'metric=revenue&limit=0', 'limit', '0'],
    ['limit over 1,000', 'metric=revenue&limit=1001', 'limit', '1001'],
    ['limit not a number', 'metric=revenue&limit=ten', 'limit', 'ten'],
    ['limit fractional', 'metric=revenue&limit=2.5', 'limit', '2.5'],
    ['group empty', 'metric=revenue&group=', 'group', ''],
    ['cursor empty', 'metric=revenue&cursor=', 'cursor', ''],
    ['unknown parameter', 'metric=revenue&windw=1m', 'windw', '1m'],
    ['parameter twice', 'metric=revenue&window=1m&window=1h', 'window', '1h'],
  ])('answers 400 naming the parameter when %s', (_case, query, parameter, value) => {
    // Act
    const error = errorOf(() => series(query));

    // Assess
    expect(error).toBeInstanceOf(QueryParameterError);
    expect(error).toMatchObject({ status: 400, code: 'bad_parameter', parameter, value });
    const message = (error as Error).message;
    expect(
      message.startsWith(
        parameter === 'since' && /buckets|after/.test(message) ? 'since/until' : parameter,
      ),
    ).toBe(true);
    if (value !== undefined) expect(message).toContain(value === '' ? '""' : value);
  });
});

describe('parseTopParameters', () => {
  it('defaults by to count and limit to 10', () => {
    // Act
    const params = top('metric=revenue&window=1h&since=1d');

    // Assess
    expect(params).toMatchObject({ by: 'count', limit: 10, window: '1h' });
  });

  it.each([
    ['by unknown', 'metric=revenue&by=median', 'median'],
    ['by a figure the metric does not keep', 'metric=events&by=sum', 'sum'],
  ])('answers 400 naming by when %s', (_case, query, value) => {
    // Act
    const error = errorOf(() => top(query));

    // Assess
    expect(error).toMatchObject({ status: 400, parameter: 'by', value });
    expect((error as Error).message).toMatch(new RegExp(`^by: .*"${value}"`));
  });

  it('answers 400 naming limit beyond 1,000', () => {
    expect(errorOf(() => top('metric=revenue&limit=1001'))).toMatchObject({
      parameter: 'limit',
      value: '1001',
    });
  });
});

describe('parseGroupsParameters and parseMetricsParameters', () => {
  it('takes the metric first window when window is not given', () => {
    // Act
    const params = parseGroupsParameters(new URLSearchParams('metric=events'), config, NOW);

    // Assess
    expect(params.window).toBe(config.metrics.find((m) => m.name === 'events')?.windows[0]);
  });

  it('refuses a limit on groups and any parameter on metrics', () => {
    expect(
      errorOf(() =>
        parseGroupsParameters(new URLSearchParams('metric=events&limit=5'), config, NOW),
      ),
    ).toMatchObject({ parameter: 'limit', value: '5' });
    expect(errorOf(() => parseMetricsParameters(new URLSearchParams('x=1')))).toMatchObject({
      parameter: 'x',
      value: '1',
    });
  });
});

describe('GET /api/series with a time no date can hold', () => {
  it.each([
    ['since', '99999999999999999999d'],
    ['until', `1${'0'.repeat(400)}ms`],
  ])(
    'answers 400 naming %s and its value instead of failing with a RangeError',
    async (parameter, value) => {
      // Prepare: the range is refused before the table is read, so no client is needed.
      const errors: unknown[] = [];
      const dependencies = {
        dynamodb: {} as DynamoDBClient,
        tableName: 'unused',
        settings: config,
        now: () => NOW,
      };

      // Act
      const response = await answerQueryRequest(
        {
          method: 'GET',
          path: '/api/series',
          query: new URLSearchParams({ metric: 'revenue', [parameter]: value }),
        },
        dependencies,
        (error) => errors.push(error),
      );

      // Assess
      expect(errors).toEqual([]);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error: 'bad_parameter' });
      const { message } = response.body as { message: string };
      expect(message.startsWith(`${parameter}: "${value}"`)).toBe(true);
      expect(message).toContain('-271821-04-20T00:00:00.000Z');
    },
  );
});

describe('parseSeriesParameters near the earliest date', () => {
  it('answers 400 naming since when its bucket would start before any date', () => {
    // Prepare: 7 minutes do not divide the 100,000,000 days before 1970, so the bucket starts earlier.
    const settings = {
      ...config,
      metrics: config.metrics.map((metric) =>
        metric.name === 'revenue' ? { ...metric, windows: ['7m'] } : metric,
      ),
    };
    const back = `${NOW + 8.64e15 - MINUTE}ms`;

    // Act
    const error = errorOf(() =>
      parseSeriesParameters(
        new URLSearchParams({ metric: 'revenue', since: back, until: back }),
        settings,
        NOW,
      ),
    );

    // Assess
    expect(error).toBeInstanceOf(QueryParameterError);
    expect(error).toMatchObject({ status: 400, parameter: 'since', value: back });
    expect((error as Error).message).toMatch(/^since: the 7m bucket holding it starts before/);
  });
});
