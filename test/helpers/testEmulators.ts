import { type AwsClients, createAwsClients } from '../../local/awsClients.js';
import { type RunningEmulators, startEmulators } from '../../local/emulators/startEmulators.js';

/** An endpoint nothing listens on, for the services a test does not start. */
const UNUSED_ENDPOINT = 'http://127.0.0.1:1';

/**
 * Starts the chosen emulators on free loopback ports and SDK clients for
 * them; clients of services not started point at a closed port.
 *
 * @example
 * ({ emulators, clients } = await startTestEmulators({ kinesis: true, s3: true }));
 */
export async function startTestEmulators(which: {
  kinesis?: boolean;
  dynamodb?: boolean;
  s3?: boolean;
}): Promise<{ emulators: RunningEmulators; clients: AwsClients }> {
  const emulators = await startEmulators({
    host: '127.0.0.1',
    ports: {
      ...(which.kinesis ? { kinesis: 0 } : {}),
      ...(which.dynamodb ? { dynamodb: 0 } : {}),
      ...(which.s3 ? { s3: 0 } : {}),
    },
  });
  const endpoint = (port: number | undefined) =>
    port === undefined ? UNUSED_ENDPOINT : `http://127.0.0.1:${port}`;
  const clients = createAwsClients(
    {
      kinesis: endpoint(emulators.ports.kinesis),
      dynamodb: endpoint(emulators.ports.dynamodb),
      s3: endpoint(emulators.ports.s3),
    },
    'us-east-1',
  );
  return { emulators, clients };
}
