import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Endpoints of the three services the local runtime talks to. */
export interface ServiceEndpoints {
  kinesis: string;
  dynamodb: string;
  s3: string;
}

/** SDK clients for one set of endpoints. */
export interface AwsClients {
  kinesis: KinesisClient;
  dynamodb: DynamoDBClient;
  s3: S3Client;
}

/** s3rver accepts only these credentials; kinesalite and dynalite accept any. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/**
 * Builds SDK v3 clients for local or external endpoints. Kinesis is forced to
 * HTTP/1.1: the SDK's default HTTP/2 handler fails against kinesalite.
 */
export function createAwsClients(endpoints: ServiceEndpoints, region: string): AwsClients {
  const common = { region, credentials: LOCAL_CREDENTIALS };
  return {
    kinesis: new KinesisClient({
      ...common,
      endpoint: endpoints.kinesis,
      requestHandler: new NodeHttpHandler({ httpAgent: { keepAlive: true, maxSockets: 64 } }),
    }),
    dynamodb: new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb }),
    s3: new S3Client({ ...common, endpoint: endpoints.s3, forcePathStyle: true }),
  };
}

/**
 * A Firehose client for the local endpoint (or an external one). The SDK's
 * default HTTP/1.1 handler is kept: the local endpoint is a plain HTTP server.
 */
export function createFirehoseClient(endpoint: string, region: string): FirehoseClient {
  return new FirehoseClient({ region, credentials: LOCAL_CREDENTIALS, endpoint });
}
