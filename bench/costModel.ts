import { PRICES } from './prices.js';

/** What one way of running the pipeline uses per event, from measured figures. */
export interface PipelineUnits {
  name: string;
  /** Kinesis PUT payload units (25 KB) per event. */
  putPayloadUnitsPerEvent: number;
  /** Kinesis records per event (shard records/s limit). */
  recordsPerEvent: number;
  /** Bytes written to the stream per event (shard MB/s limit). */
  streamBytesPerEvent: number;
  /** Lambda invocations per event. */
  invocationsPerEvent: number;
  /** Billed Lambda seconds per event. */
  lambdaSecondsPerEvent: number;
  /** Lambda memory, MB. */
  lambdaMemoryMB: number;
  /** DynamoDB write units per event. */
  writeUnitsPerEvent: number;
  /** Firehose billed KB per event (5 KB per started increment of each record). */
  firehoseBilledKBPerEvent: number;
  /** S3 PUT requests per event (archive objects). */
  s3PutsPerEvent: number;
  /** Archive bytes stored per event (gzip NDJSON). */
  archiveBytesPerEvent: number;
}

/** Cost per million events, USD, by line item. */
export interface CostBreakdown {
  name: string;
  kinesisPutPayloadUnits: number;
  kinesisShardHours: number;
  /** Consumer-shard hours of the aggregate function's enhanced fan-out consumer (0 when off). */
  kinesisEnhancedFanOutShardHours: number;
  /** Data the enhanced fan-out consumer reads, per GB (0 when off). */
  kinesisEnhancedFanOutRetrieval: number;
  lambdaRequests: number;
  lambdaCompute: number;
  dynamodbWrites: number;
  firehoseIngestion: number;
  s3Puts: number;
  /** One month of storage of the archive objects. */
  s3StorageMonth: number;
  total: number;
}

/** How the pipeline is deployed, where it changes the bill. */
export interface CostOptions {
  /**
   * The aggregate function reads through an enhanced fan-out consumer
   * (`aggregation.enhancedFanOut`): one consumer-shard hour per shard per hour,
   * and every byte written to the stream read once more, billed per GB.
   *
   * @default false
   */
  enhancedFanOut?: boolean;
}

const MILLION = 1_000_000;
const GB = 1024 ** 3;
const SHARD_BYTES_PER_SECOND = 1024 ** 2;
const SHARD_RECORDS_PER_SECOND = 1_000;

/**
 * USD per million events at a steady `eventsPerSecond` in us-east-1, with a
 * provisioned stream of as many shards as the rate needs (1 MiB/s and 1,000
 * records/s each). Prices from {@link PRICES}.
 *
 * @example
 * costPerMillionEvents(units, 1_000, { enhancedFanOut: true }).kinesisEnhancedFanOutShardHours;
 */
export function costPerMillionEvents(
  units: PipelineUnits,
  eventsPerSecond: number,
  options: CostOptions = {},
): CostBreakdown {
  const shards = Math.max(
    1,
    Math.ceil((eventsPerSecond * units.streamBytesPerEvent) / SHARD_BYTES_PER_SECOND),
    Math.ceil((eventsPerSecond * units.recordsPerEvent) / SHARD_RECORDS_PER_SECOND),
  );
  const hoursPerMillion = MILLION / eventsPerSecond / 3_600;
  // The consumer reads what the stream holds: the bytes written per event.
  const efoGBPerMillion = (MILLION * units.streamBytesPerEvent) / GB;
  const items = {
    kinesisPutPayloadUnits:
      units.putPayloadUnitsPerEvent * PRICES.kinesis.perMillionPutPayloadUnits,
    kinesisShardHours: shards * hoursPerMillion * PRICES.kinesis.shardHour,
    kinesisEnhancedFanOutShardHours: options.enhancedFanOut
      ? shards * hoursPerMillion * PRICES.kinesis.enhancedFanOutConsumerShardHour
      : 0,
    kinesisEnhancedFanOutRetrieval: options.enhancedFanOut
      ? efoGBPerMillion * PRICES.kinesis.enhancedFanOutPerGBRetrieved
      : 0,
    lambdaRequests: units.invocationsPerEvent * PRICES.lambda.perMillionRequests,
    lambdaCompute:
      MILLION *
      units.lambdaSecondsPerEvent *
      (units.lambdaMemoryMB / 1024) *
      PRICES.lambda.perGBSecondArm64,
    dynamodbWrites: units.writeUnitsPerEvent * PRICES.dynamodb.perMillionWriteRequestUnits,
    firehoseIngestion:
      ((MILLION * units.firehoseBilledKBPerEvent * 1024) / GB) * PRICES.firehose.perGBIngested,
    s3Puts: ((MILLION * units.s3PutsPerEvent) / 1_000) * PRICES.s3.perThousandPuts,
    s3StorageMonth: ((MILLION * units.archiveBytesPerEvent) / GB) * PRICES.s3.perGBMonth,
  };
  const total = Object.values(items).reduce((sum, value) => sum + value, 0);
  return { name: units.name, ...items, total };
}
