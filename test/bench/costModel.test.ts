import { describe, expect, it } from 'vitest';
import { costPerMillionEvents, type PipelineUnits } from '../../bench/costModel.js';
import { PRICES } from '../../bench/prices.js';

/**
 * How Kinesis Data Streams bills enhanced fan-out in provisioned mode, per its pricing page
 * (https://aws.amazon.com/kinesis/data-streams/pricing/): a consumer-shard hour for each
 * hour a registered consumer exists, per shard of the stream, plus enhanced fan-out data
 * retrieval per GB the consumer reads. The Lambda guide
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html) says it too: "Kinesis
 * charges for each shard and, for enhanced fan-out, data read from the stream." The us-east-1
 * prices ($0.015 per consumer-shard hour, $0.013 per GB) are in bench/prices.ts.
 */
const GB = 1024 ** 3;

/** Units of one event: 1,000 bytes in the stream, nothing else billed. */
function units(overrides: Partial<PipelineUnits> = {}): PipelineUnits {
  return {
    name: 'test',
    putPayloadUnitsPerEvent: 0,
    recordsPerEvent: 0.001,
    streamBytesPerEvent: 1_000,
    invocationsPerEvent: 0,
    lambdaSecondsPerEvent: 0,
    lambdaMemoryMB: 512,
    writeUnitsPerEvent: 0,
    firehoseBilledKBPerEvent: 0,
    s3PutsPerEvent: 0,
    archiveBytesPerEvent: 0,
    ...overrides,
  };
}

describe('costPerMillionEvents', () => {
  it.each([[{}], [{ enhancedFanOut: false }]])(
    'bills no enhanced fan-out when given %o',
    (options) => {
      // Act
      const cost = costPerMillionEvents(units(), 1_000, options);

      // Assess
      expect(cost.kinesisEnhancedFanOutShardHours).toBe(0);
      expect(cost.kinesisEnhancedFanOutRetrieval).toBe(0);
    },
  );

  it('bills a consumer-shard hour per shard hour and every byte written read once more with enhanced fan-out', () => {
    // Prepare: 1,000 events/s of 1,000 bytes = 1,000,000 B/s, under one shard's 1 MiB/s
    const eventsPerSecond = 1_000;
    const hoursPerMillion = 1_000_000 / eventsPerSecond / 3_600;

    // Act
    const off = costPerMillionEvents(units(), eventsPerSecond);
    const on = costPerMillionEvents(units(), eventsPerSecond, { enhancedFanOut: true });

    // Assess: one shard for 1e6 events = 0.2778 h
    expect(on.kinesisEnhancedFanOutShardHours).toBeCloseTo(
      hoursPerMillion * PRICES.kinesis.enhancedFanOutConsumerShardHour,
      12,
    );
    // 1e6 events x 1,000 B = 0.931 GB read by the consumer
    expect(on.kinesisEnhancedFanOutRetrieval).toBeCloseTo(
      ((1_000_000 * 1_000) / GB) * PRICES.kinesis.enhancedFanOutPerGBRetrieved,
      12,
    );
    // Nothing else changes; the total grows by exactly the two items.
    expect({
      ...on,
      kinesisEnhancedFanOutShardHours: 0,
      kinesisEnhancedFanOutRetrieval: 0,
    }).toEqual({ ...off, total: on.total });
    expect(on.total - off.total).toBeCloseTo(
      on.kinesisEnhancedFanOutShardHours + on.kinesisEnhancedFanOutRetrieval,
      12,
    );
  });

  it('bills consumer-shard hours for every shard the rate needs', () => {
    // Prepare: 3,000 events/s of 1,000 bytes = 3,000,000 B/s, three shards of 1 MiB/s
    const eventsPerSecond = 3_000;
    const hoursPerMillion = 1_000_000 / eventsPerSecond / 3_600;

    // Act
    const on = costPerMillionEvents(units(), eventsPerSecond, { enhancedFanOut: true });

    // Assess: as many consumer-shard hours as shard hours
    expect(on.kinesisShardHours).toBeCloseTo(3 * hoursPerMillion * PRICES.kinesis.shardHour, 12);
    expect(on.kinesisEnhancedFanOutShardHours).toBeCloseTo(
      3 * hoursPerMillion * PRICES.kinesis.enhancedFanOutConsumerShardHour,
      12,
    );
  });

  it('uses the us-east-1 enhanced fan-out prices of the pricing page', () => {
    // Assess
    expect(PRICES.region).toBe('us-east-1');
    expect(PRICES.kinesis.enhancedFanOutConsumerShardHour).toBe(0.015);
    expect(PRICES.kinesis.enhancedFanOutPerGBRetrieved).toBe(0.013);
  });
});
