/**
 * AWS list prices in us-east-1 that the cost model multiplies the measured
 * units by. Compiled 2026-11-23 from the public pricing pages below; prices
 * change, so check the pages before quoting a figure.
 *
 * - Kinesis Data Streams: https://aws.amazon.com/kinesis/data-streams/pricing/
 *   (provisioned: shard hour and PUT payload unit of 25 KB; on-demand: per GB
 *   written, each record rounded up to 1 KB, plus a per-stream hour; enhanced
 *   fan-out of a provisioned stream: a consumer-shard hour for every hour each
 *   registered consumer is registered, per shard, plus data retrieval per GB
 *   the consumer reads).
 * - Lambda: https://aws.amazon.com/lambda/pricing/ (arm64, first tier).
 * - DynamoDB: https://aws.amazon.com/dynamodb/pricing/on-demand/ (on-demand
 *   write request units after the price cut of 2024-11-01; one unit per
 *   started 1 KB written).
 * - Amazon Data Firehose: https://aws.amazon.com/firehose/pricing/ (ingestion,
 *   first 500 TB/month, each record rounded up to the next 5 KB).
 * - S3: https://aws.amazon.com/s3/pricing/ (S3 Standard).
 * - Athena: https://aws.amazon.com/athena/pricing/ (SQL queries: per TB
 *   scanned, each query rounded up to the next MB, 10 MB minimum).
 */
export const PRICES = {
  compiled: '2026-11-23',
  region: 'us-east-1',
  kinesis: {
    /** USD per shard hour, provisioned mode. */
    shardHour: 0.015,
    /** USD per million PUT payload units (25 KB each), provisioned mode. */
    perMillionPutPayloadUnits: 0.014,
    /** USD per GB written, on-demand mode (records rounded up to 1 KB). */
    onDemandPerGBWritten: 0.08,
    /** USD per stream hour, on-demand mode. */
    onDemandStreamHour: 0.04,
    /** USD per consumer-shard hour of an enhanced fan-out consumer, provisioned mode. */
    enhancedFanOutConsumerShardHour: 0.015,
    /** USD per GB an enhanced fan-out consumer reads, provisioned mode. */
    enhancedFanOutPerGBRetrieved: 0.013,
  },
  lambda: {
    /** USD per GB-second, arm64. */
    perGBSecondArm64: 0.0000133334,
    /** USD per million requests. */
    perMillionRequests: 0.2,
  },
  dynamodb: {
    /** USD per million write request units, on-demand. */
    perMillionWriteRequestUnits: 0.625,
  },
  firehose: {
    /** USD per GB ingested (5 KB rounding per record), first 500 TB per month. */
    perGBIngested: 0.029,
  },
  s3: {
    /** USD per 1,000 PUT requests, S3 Standard. */
    perThousandPuts: 0.005,
    /** USD per GB-month stored, S3 Standard, first 50 TB. */
    perGBMonth: 0.023,
  },
  athena: {
    /** USD per TB scanned by SQL queries. */
    perTBScanned: 5,
    /** Every query is billed at least this many MB scanned. */
    minimumMBPerQuery: 10,
  },
} as const;
