import { describe, expect, it } from 'vitest';
import { EMULATOR_MAX_REQUEST_BYTES } from '../../../local/emulators/emulatorRequestLimits.js';

/** Each service's largest request as its API reference states it, bytes. */
const DOCUMENTED_LARGEST_REQUEST_BYTES = {
  // "Each record in the request can be as large as 1 MiB, up to a limit of 5 MiB for the entire
  // request, including partition keys." (Kinesis API reference, PutRecords.) Base64 in JSON
  // sends 4 bytes per 3.
  kinesis: Math.ceil((5 * 1_048_576 * 4) / 3),
  // "A single call to BatchWriteItem can transmit up to 16MB of data over the network, consisting
  // of up to 25 item put or delete operations." (DynamoDB API reference, BatchWriteItem.)
  dynamodb: 16 * 1_048_576,
} as const;

describe('EMULATOR_MAX_REQUEST_BYTES', () => {
  it.each(
    Object.keys(DOCUMENTED_LARGEST_REQUEST_BYTES) as (keyof typeof EMULATOR_MAX_REQUEST_BYTES)[],
  )('lets the largest %s request the service accepts through, with 20 %% to spare', (service) => {
    expect(EMULATOR_MAX_REQUEST_BYTES[service]).toBeGreaterThan(
      1.2 * DOCUMENTED_LARGEST_REQUEST_BYTES[service],
    );
  });
});
