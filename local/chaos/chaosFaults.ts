import type { ChaosSettings } from '../../core/config/configSchema.js';
import type { ProxiedRequest, ProxyDecision } from './ChaosProxy.js';

/** Faults injected so far, by kind. */
export interface ChaosCounters {
  dynamodbThrottles: number;
  dynamodbServerErrors: number;
  kinesisThrottles: number;
  kinesisEntryFailures: number;
  handlerCrashes: number;
  handlerTimeouts: number;
  duplicateDeliveries: number;
}

/** A fresh set of counters. */
export function emptyChaosCounters(): ChaosCounters {
  return {
    dynamodbThrottles: 0,
    dynamodbServerErrors: 0,
    kinesisThrottles: 0,
    kinesisEntryFailures: 0,
    handlerCrashes: 0,
    handlerTimeouts: 0,
    duplicateDeliveries: 0,
  };
}

/** The DynamoDB operations of the handler's data path; set-up and read-outs stay untouched. */
const DYNAMODB_DATA_OPERATIONS = new Set(['UpdateItem', 'GetItem']);
const DYNAMODB_ERROR_PREFIX = 'com.amazonaws.dynamodb.v20120810#';

/** Throttles and 500s on the DynamoDB requests the aggregate handler makes. */
export function dynamodbFaults(
  settings: ChaosSettings,
  counters: ChaosCounters,
  random: () => number = Math.random,
): (request: ProxiedRequest) => ProxyDecision {
  return ({ operation }) => {
    if (!DYNAMODB_DATA_OPERATIONS.has(operation)) return { kind: 'forward' };
    const roll = random();
    if (roll < settings.dynamodbThrottleRate) {
      counters.dynamodbThrottles++;
      return {
        kind: 'fail',
        status: 400,
        type: `${DYNAMODB_ERROR_PREFIX}ProvisionedThroughputExceededException`,
        message:
          'The level of configured provisioned throughput for the table was exceeded (chaos)',
      };
    }
    if (roll < settings.dynamodbThrottleRate + settings.dynamodbServerErrorRate) {
      counters.dynamodbServerErrors++;
      return {
        kind: 'fail',
        status: 500,
        type: `${DYNAMODB_ERROR_PREFIX}InternalServerError`,
        message: 'Internal server error (chaos)',
      };
    }
    return { kind: 'forward' };
  };
}

interface PutRecordsBody {
  StreamName?: string;
  Records: unknown[];
}

interface PutRecordsResult {
  FailedRecordCount?: number;
  Records: Record<string, unknown>[];
  [key: string]: unknown;
}

/**
 * Faults on PutRecords as Kinesis produces them: whole calls refused with
 * ProvisionedThroughputExceededException, and single entries refused
 * (ProvisionedThroughputExceededException or InternalFailure) while the
 * others are written. A refused entry is never forwarded, so it is not in
 * the stream: exactly what a real partial failure means.
 */
export function kinesisFaults(
  settings: ChaosSettings,
  counters: ChaosCounters,
  random: () => number = Math.random,
): (request: ProxiedRequest) => ProxyDecision {
  return ({ operation, body }) => {
    if (operation !== 'PutRecords') return { kind: 'forward' };
    if (random() < settings.kinesisThrottleRate) {
      counters.kinesisThrottles++;
      return {
        kind: 'fail',
        status: 400,
        type: 'ProvisionedThroughputExceededException',
        message: 'Rate exceeded for stream (chaos)',
      };
    }
    const input = JSON.parse(body.toString('utf8')) as PutRecordsBody;
    const refused = input.Records.map(() => random() < settings.kinesisEntryFailureRate);
    const count = refused.filter(Boolean).length;
    if (count === 0) return { kind: 'forward' };
    counters.kinesisEntryFailures += count;
    const failure = (index: number) =>
      index % 2 === 0
        ? {
            ErrorCode: 'ProvisionedThroughputExceededException',
            ErrorMessage: 'Rate exceeded for shard (chaos)',
          }
        : { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service failure (chaos)' };
    if (count === input.Records.length) {
      const results = input.Records.map((_, i) => failure(i));
      return {
        kind: 'respond',
        body: Buffer.from(JSON.stringify({ FailedRecordCount: count, Records: results })),
      };
    }
    const kept = { ...input, Records: input.Records.filter((_, i) => !refused[i]) };
    return {
      kind: 'rewrite',
      body: Buffer.from(JSON.stringify(kept)),
      rewrite: (response) => {
        const output = JSON.parse(response.toString('utf8')) as PutRecordsResult;
        const written = output.Records[Symbol.iterator]();
        const merged = refused.map((isRefused, i) =>
          isRefused ? failure(i) : (written.next().value ?? {}),
        );
        return Buffer.from(
          JSON.stringify({
            ...output,
            FailedRecordCount: (output.FailedRecordCount ?? 0) + count,
            Records: merged,
          }),
        );
      },
    };
  };
}
