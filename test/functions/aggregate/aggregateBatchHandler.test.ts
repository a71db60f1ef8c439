import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compileMetrics } from '../../../core/aggregates/compileMetrics.js';
import {
  AGGREGATE_SERVICE_NAME,
  METRICS_NAMESPACE,
} from '../../../core/config/aggregateFunctionEnvironment.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import { aggregateBatchHandler } from '../../../functions/aggregate/aggregateBatchHandler.js';
import { AGGREGATE_METRIC } from '../../../functions/aggregate/aggregateMetricNames.js';
import {
  INVOCATIONS_NEAR_TIMEOUT_METRIC,
  PUBLISH_BEFORE_TIMEOUT_MS,
} from '../../../functions/observability/publishMetricsAfter.js';
import { lambdaContext } from '../../helpers/apiGatewayEvent.js';
import { sampleEvent } from '../../helpers/events.js';
import { handlerDeps } from '../../helpers/handlerFakes.js';
import { kinesisStreamEvent } from '../../helpers/kinesisStreamEvent.js';
import { captureEmf, type EmfCapture } from '../emfOutput.js';

const NOW = Date.parse('2026-11-22T10:30:00Z');
const TIME = new Date(NOW - 60_000).toISOString();
const metrics = compileMetrics(loadConfig());

/** Two records: three valid events and one line that is not JSON. */
const batch = () =>
  kinesisStreamEvent([
    { sequenceNumber: '100', lines: [sampleEvent('page_view', { time: TIME })] },
    {
      sequenceNumber: '101',
      lines: [
        sampleEvent('purchase', { time: TIME }),
        '{not json',
        sampleEvent('page_view', { time: TIME }),
      ],
    },
  ]);

function powertools(): { logger: Logger; metrics: Metrics } {
  return {
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: AGGREGATE_SERVICE_NAME }),
  };
}

describe('aggregateBatchHandler: metrics published on every way out', () => {
  let emf: EmfCapture;

  beforeEach(() => {
    // "AWS_LAMBDA_INITIALIZATION_TYPE – The initialization type of the function, which is either
    // on-demand or provisioned-concurrency." (Lambda developer guide); Powertools counts a cold
    // start only for on-demand.
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    emf = captureEmf();
  });

  afterEach(() => {
    emf.restore();
    vi.unstubAllEnvs();
    vi.useRealTimers();
  });

  it('publishes the batch counts in one EMF object when the batch completes', async () => {
    // Prepare
    const { handler } = aggregateBatchHandler(handlerDeps(metrics, NOW), powertools());

    // Act
    await handler(batch(), lambdaContext());

    // Assess
    const [blob, ...others] = emf.withMetric(AGGREGATE_METRIC.eventsFolded);
    expect(others).toEqual([]);
    expect(blob?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: METRICS_NAMESPACE,
        Dimensions: [['service']],
        Metrics: expect.arrayContaining([
          { Name: AGGREGATE_METRIC.recordsReceived, Unit: 'Count' },
          { Name: AGGREGATE_METRIC.eventsFolded, Unit: 'Count' },
          { Name: AGGREGATE_METRIC.eventsRejected, Unit: 'Count' },
        ]),
      },
    ]);
    expect(blob).toMatchObject({
      service: AGGREGATE_SERVICE_NAME,
      [AGGREGATE_METRIC.recordsReceived]: 2,
      [AGGREGATE_METRIC.eventsFolded]: 3,
      [AGGREGATE_METRIC.eventsRejected]: 1,
      [AGGREGATE_METRIC.failedRecords]: 0,
    });
    // The per-code copy, with its own dimension.
    const [byCode] = emf
      .withMetric(AGGREGATE_METRIC.eventsRejected)
      .filter((b) => b._aws.CloudWatchMetrics[0]?.Dimensions[0]?.includes('code'));
    expect(byCode).toMatchObject({ code: 'malformed_json', [AGGREGATE_METRIC.eventsRejected]: 1 });
  });

  it('still publishes the records received when the batch throws', async () => {
    // Prepare: the dedupe table is unreachable, which fails the whole batch
    const deps = handlerDeps(metrics, NOW, {
      deduper: {
        claim: async () => {
          throw new Error('dedupe table unreachable');
        },
      },
    });
    const { handler } = aggregateBatchHandler(deps, powertools());

    // Act
    const invocation = handler(batch(), lambdaContext());

    // Assess
    await expect(invocation).rejects.toThrow('dedupe table unreachable');
    const blobs = emf.withMetric(AGGREGATE_METRIC.recordsReceived);
    expect(blobs).toHaveLength(1);
    expect(blobs[0]).toMatchObject({
      service: AGGREGATE_SERVICE_NAME,
      [AGGREGATE_METRIC.recordsReceived]: 2,
    });
    // The batch is retried whole: its events count when a try of it completes.
    expect(blobs[0]).not.toHaveProperty(AGGREGATE_METRIC.eventsFolded);
  });

  it('publishes before the function times out, then publishes the rest when the batch ends', async () => {
    // Prepare: a dedupe claim that takes longer than the time left
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(NOW);
    let release: () => void = () => undefined;
    const deps = handlerDeps(metrics, NOW, {
      deduper: {
        claim: (claims) =>
          new Promise((resolve) => {
            release = () => resolve(claims.map(() => 'first' as never));
          }),
      },
    });
    const { handler } = aggregateBatchHandler(deps, powertools());
    const timeoutMs = 3_000;

    // Act
    const invocation = handler(batch(), lambdaContext(timeoutMs));
    await vi.advanceTimersByTimeAsync(timeoutMs - PUBLISH_BEFORE_TIMEOUT_MS);
    const beforeTimeout = emf.withMetric(AGGREGATE_METRIC.recordsReceived);
    release();
    await invocation.catch(() => undefined);

    // Assess
    expect(beforeTimeout).toHaveLength(1);
    expect(beforeTimeout[0]).toMatchObject({
      [AGGREGATE_METRIC.recordsReceived]: 2,
      [INVOCATIONS_NEAR_TIMEOUT_METRIC]: 1,
    });
    // Counted once: the records received went out with the first object and were cleared.
    expect(emf.withMetric(AGGREGATE_METRIC.recordsReceived)).toHaveLength(1);
  });

  it('publishes ColdStart on the first invocation only', async () => {
    // Prepare
    const { handler } = aggregateBatchHandler(handlerDeps(metrics, NOW), powertools());

    // Act
    await handler(batch(), lambdaContext());
    const afterFirst = emf.withMetric('ColdStart');
    await handler(batch(), lambdaContext());

    // Assess
    expect(afterFirst).toHaveLength(1);
    expect(afterFirst[0]).toMatchObject({
      service: AGGREGATE_SERVICE_NAME,
      function_name: lambdaContext().functionName,
      ColdStart: 1,
    });
    expect(emf.withMetric('ColdStart')).toHaveLength(1);
    expect(emf.withMetric(AGGREGATE_METRIC.eventsFolded)).toHaveLength(2);
  });
});
