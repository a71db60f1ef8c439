import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  aggregatePartitionKey,
  aggregateSortKey,
  bucketStart,
} from '../../../core/aggregates/aggregateKey.js';
import { compileMetrics } from '../../../core/aggregates/compileMetrics.js';
import { OTHER_GROUP } from '../../../core/aggregates/GroupRegistry.js';
import type { MetricDefinition } from '../../../core/config/configSchema.js';
import { loadConfig } from '../../../core/config/loadConfig.js';
import { aggregateKinesisBatch } from '../../../functions/aggregate/aggregateKinesisBatch.js';
import { GroupCapReporter } from '../../../functions/aggregate/GroupCapReporter.js';
import { sampleEvent } from '../../helpers/events.js';
import { handlerDeps } from '../../helpers/handlerFakes.js';
import { kinesisStreamEvent } from '../../helpers/kinesisStreamEvent.js';

const NOW = Date.parse('2026-11-22T10:30:00Z');
const TIME = new Date(NOW - 60_000).toISOString();
const base = loadConfig();
const metricDefinitions: MetricDefinition[] = [
  {
    name: 'events',
    on: ['add_to_cart', 'purchase'],
    groupBy: [],
    maxGroups: 1_000,
    stats: ['count'],
    windows: ['1m'],
  },
  // Two windows: an event over the cap lands in `__other__` of both, and must count once.
  {
    name: 'cart_quantity',
    on: 'add_to_cart',
    value: 'data.quantity',
    groupBy: ['data.category'],
    maxGroups: 2,
    stats: ['count', 'sum'],
    windows: ['1m', '1h'],
  },
  {
    name: 'revenue',
    on: 'purchase',
    value: 'data.amount',
    groupBy: ['data.country'],
    maxGroups: 1,
    stats: ['count', 'sum'],
    windows: ['1h'],
  },
];
const metrics = compileMetrics({ metrics: metricDefinitions, windows: base.windows });

const cart = (category: string) =>
  sampleEvent('add_to_cart', { time: TIME, data: { category, quantity: 1 } });
const purchase = (country: string) =>
  sampleEvent('purchase', { time: TIME, data: { country, amount: 5 } });

describe('aggregateKinesisBatch: events over a group cap in the batch summary', () => {
  it('counts the events each full registry sent to __other__, once per event and metric', async () => {
    // Prepare: categories a and b take the cap of 2; c (twice) and d are refused
    const deps = handlerDeps(metrics, NOW);
    const batch = kinesisStreamEvent([
      { sequenceNumber: '100', lines: [cart('a'), cart('b'), cart('c')] },
      { sequenceNumber: '101', lines: [cart('c'), cart('d'), purchase('DE'), purchase('FR')] },
    ]);

    // Act
    const { summary } = await aggregateKinesisBatch(batch, deps);

    // Assess
    expect(summary.eventsFolded).toBe(7);
    expect(summary.cappedMetrics).toEqual([
      { metric: 'cart_quantity', maxGroups: 2, eventsOverGroupCap: 3 },
      { metric: 'revenue', maxGroups: 1, eventsOverGroupCap: 1 },
    ]);
    expect(summary.eventsOverGroupCap).toBe(4);
    const hour = 3_600_000;
    const otherItem = `${aggregatePartitionKey('cart_quantity', OTHER_GROUP)}|${aggregateSortKey('1h', bucketStart(Date.parse(TIME), hour))}`;
    expect(deps.store.figures()[otherItem]?.count).toBe(3);
  });

  it('lists no metric when every group of the batch is admitted, though a registry is full', async () => {
    // Prepare: the first batch fills the cart_quantity cap
    const deps = handlerDeps(metrics, NOW);
    await aggregateKinesisBatch(
      kinesisStreamEvent([{ sequenceNumber: '100', lines: [cart('a'), cart('b')] }]),
      deps,
    );

    // Act: admitted groups only
    const { summary } = await aggregateKinesisBatch(
      kinesisStreamEvent([{ sequenceNumber: '101', lines: [cart('a'), cart('b'), cart('a')] }]),
      deps,
    );

    // Assess
    expect(summary.cappedMetrics).toEqual([]);
    expect(summary.eventsOverGroupCap).toBe(0);
  });
});

describe('GroupCapReporter', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** The EMF documents written to stdout while `act` runs, parsed. */
  function emfWrittenBy(act: () => void): Record<string, unknown>[] {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    act();
    vi.mocked(process.stdout.write).mockRestore();
    return lines
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  function reporterWithSpies() {
    const logger = new Logger({ logLevel: 'SILENT' });
    const warn = vi.spyOn(logger, 'warn');
    const powertools = new Metrics({ namespace: 'streamfold', serviceName: 'aggregate-test' });
    return { reporter: new GroupCapReporter(metrics, logger, powertools), warn, powertools };
  }

  it('warns once per metric per container, naming the metric, the cap and the setting to raise', () => {
    // Prepare
    const { reporter, warn } = reporterWithSpies();
    const cartCapped = { metric: 'cart_quantity', maxGroups: 2, eventsOverGroupCap: 3 };

    // Act: three batches find cart_quantity full, the third revenue too
    emfWrittenBy(() => {
      reporter.report([cartCapped]);
      reporter.report([{ ...cartCapped, eventsOverGroupCap: 4 }]);
      reporter.report([
        { ...cartCapped, eventsOverGroupCap: 1 },
        { metric: 'revenue', maxGroups: 1, eventsOverGroupCap: 2 },
      ]);
    });

    // Assess
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn).toHaveBeenNthCalledWith(
      1,
      'metric cart_quantity has reached its group cap of 2: events of further groups fold into ' +
        '__other__. Raise metrics.1.maxGroups if the field really has that many values, or ' +
        'group by a field with a bounded set of values',
      {
        metric: 'cart_quantity',
        maxGroups: 2,
        setting: 'metrics.1.maxGroups',
        eventsOverGroupCap: 3,
      },
    );
    expect(warn.mock.calls[1]?.[0]).toMatch(/^metric revenue .* cap of 1: .*metrics\.2\.maxGroups/);
    expect(reporter.totals()).toEqual([
      { metric: 'cart_quantity', maxGroups: 2, eventsOverGroupCap: 8 },
      { metric: 'revenue', maxGroups: 1, eventsOverGroupCap: 2 },
    ]);
  });

  it('publishes EventsOverGroupCap per capped metric at once and the total with the stored metrics', () => {
    // Prepare
    const { reporter, powertools } = reporterWithSpies();

    // Act
    const emf = emfWrittenBy(() => {
      reporter.report([
        { metric: 'cart_quantity', maxGroups: 2, eventsOverGroupCap: 3 },
        { metric: 'revenue', maxGroups: 1, eventsOverGroupCap: 2 },
      ]);
      powertools.publishStoredMetrics();
    });

    // Assess
    const perMetric = emf.filter((document) => 'metric' in document);
    expect(
      perMetric.map(({ metric, EventsOverGroupCap }) => ({ metric, EventsOverGroupCap })),
    ).toEqual([
      { metric: 'cart_quantity', EventsOverGroupCap: 3 },
      { metric: 'revenue', EventsOverGroupCap: 2 },
    ]);
    expect(dimensionsOf(perMetric[0])).toEqual([['service', 'metric']]);
    const total = emf.filter((document) => !('metric' in document));
    expect(total).toHaveLength(1);
    expect(total[0]?.EventsOverGroupCap).toBe(5);
    expect(dimensionsOf(total[0])).toEqual([['service']]);
  });

  it('publishes a total of 0 when no metric is capped, so the alarm metric has data', () => {
    // Prepare
    const { reporter, powertools, warn } = reporterWithSpies();

    // Act
    const emf = emfWrittenBy(() => {
      reporter.report([]);
      powertools.publishStoredMetrics();
    });

    // Assess
    expect(emf).toHaveLength(1);
    expect(emf[0]?.EventsOverGroupCap).toBe(0);
    expect(warn).not.toHaveBeenCalled();
    expect(reporter.totals()).toEqual([]);
  });
});

function dimensionsOf(document: Record<string, unknown> | undefined): unknown {
  const aws = document?._aws as { CloudWatchMetrics: { Dimensions: unknown }[] } | undefined;
  return aws?.CloudWatchMetrics[0]?.Dimensions;
}
