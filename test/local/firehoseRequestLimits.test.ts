import { FirehoseClient, PutRecordBatchCommand, PutRecordCommand } from '@aws-sdk/client-firehose';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { FIREHOSE_LIMITS } from '../../core/codec/limits.js';
import { LocalFirehose } from '../../local/firehose/LocalFirehose.js';
import { isRetryableCallError } from '../../producers/retryPolicy.js';
import { gate, uploadBody } from '../helpers/uploadBody.js';

/*
 * The API's request limits, as Firehose documents them for PutRecordBatch
 * (https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html):
 * "Each PutRecordBatch request supports up to 500 records. Each record in the request can be
 * as large as 1,000 KB (before base64 encoding), up to a limit of 4 MB for the entire
 * request. These limits cannot be changed." On the wire the data is base64 in JSON, so the
 * largest valid call is about 5.6 MB of HTTP body. The endpoint reads at most 8 MiB, the
 * base64 of 6 MiB, so a call of up to six largest records still gets the API's own error.
 */
const MAX_HTTP_BODY_BYTES = 8 * 1024 * 1024;
const STREAM = 'limits';
const TARGET = { 'x-amz-target': 'Firehose_20150804.PutRecordBatch' };

/** Counts writes instead of storing them: these calls are about reading requests. */
const s3 = { send: async () => ({}) } as unknown as S3Client;

let firehose: LocalFirehose | undefined;

afterEach(async () => {
  await firehose?.stop();
  firehose = undefined;
});

async function startFirehose(maxInFlightBytes?: number): Promise<LocalFirehose> {
  firehose = await LocalFirehose.start({
    host: '127.0.0.1',
    port: 0,
    region: 'us-east-1',
    s3,
    ...(maxInFlightBytes === undefined ? {} : { maxInFlightBytes }),
    deliveryStreams: [
      {
        deliveryStreamName: STREAM,
        bucket: 'unused',
        prefix: 'p/',
        errorOutputPrefix: 'e/',
        bufferingSizeBytes: 128 * 1024 * 1024,
        bufferingIntervalMs: 3_600_000,
      },
    ],
  });
  return firehose;
}

function clientOf(endpoint: string): FirehoseClient {
  return new FirehoseClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

describe('the local Firehose endpoint reading requests', () => {
  it('reads the largest valid PutRecordBatch whole: 500 records, 4 MiB of data', async () => {
    // Prepare: 500 records sharing 4 MiB as evenly as whole bytes allow
    const endpoint = await startFirehose();
    const size = Math.floor(FIREHOSE_LIMITS.maxBytesPerPutRecordBatch / 500);
    const records = Array.from({ length: 500 }, (_, i) => ({ Data: Buffer.alloc(size, i % 256) }));

    // Act
    const output = await clientOf(endpoint.endpoint).send(
      new PutRecordBatchCommand({ DeliveryStreamName: STREAM, Records: records }),
    );

    // Assess
    expect(output.FailedPutCount).toBe(0);
    expect(endpoint.deliveryStream(STREAM)?.stats.recordsAccepted).toBe(500);
  });

  it('answers 413 to a Content-Length over the HTTP body cap before reading a byte', async () => {
    const { port } = await startFirehose();
    const { opened: held, open: release } = gate();

    const answer = await uploadBody(port, MAX_HTTP_BODY_BYTES + 1, {
      declare: true,
      holdAfter: 0,
      release: held,
      headers: TARGET,
    });
    release();

    expect(answer).toMatchObject({ status: 413, written: 0 });
    expect(answer.headers['x-amzn-errortype']).toBe('SerializationException');
  });

  it('answers 413 to a chunked body of 80 MiB once it passes the cap, instead of dropping it', async () => {
    const { port } = await startFirehose();

    const answer = await uploadBody(port, 80 * 1024 * 1024, { headers: TARGET });

    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.text)).toMatchObject({ __type: 'SerializationException' });
    expect(answer.written).toBeLessThan(24 * 1024 * 1024);
  });

  it('answers 503 ServiceUnavailableException with Retry-After while its bytes in flight are taken, which the producers retry', async () => {
    // Prepare: two calls, their bodies not all sent, hold the whole 8 MiB budget with the
    // bytes they sent (bytes are held as they arrive, not as declared)
    const endpoint = await startFirehose(MAX_HTTP_BODY_BYTES);
    const { opened: held, open: release } = gate();
    const holders = [
      uploadBody(endpoint.port, MAX_HTTP_BODY_BYTES, {
        declare: true,
        holdAfter: MAX_HTTP_BODY_BYTES - 16 * 1024,
        release: held,
        headers: TARGET,
      }),
    ];
    await expect.poll(() => endpoint.heldRequestBytes).toBe(MAX_HTTP_BODY_BYTES - 16 * 1024);
    holders.push(
      uploadBody(endpoint.port, 32 * 1024, {
        declare: true,
        holdAfter: 16 * 1024,
        release: held,
        headers: TARGET,
      }),
    );
    await expect.poll(() => endpoint.heldRequestBytes).toBe(MAX_HTTP_BODY_BYTES);

    // Act
    const raw = await uploadBody(endpoint.port, 1_000, { declare: true, headers: TARGET });
    const error = await clientOf(endpoint.endpoint)
      .send(
        new PutRecordCommand({ DeliveryStreamName: STREAM, Record: { Data: Buffer.from('x') } }),
      )
      .then(
        () => undefined,
        (failure: unknown) => failure as Error & { $metadata?: { httpStatusCode?: number } },
      );
    release();
    await Promise.all(holders);
    const after = await clientOf(endpoint.endpoint).send(
      new PutRecordCommand({ DeliveryStreamName: STREAM, Record: { Data: Buffer.from('x') } }),
    );

    // Assess
    expect(raw).toMatchObject({ status: 503, retryAfter: '1' });
    expect(error?.name).toBe('ServiceUnavailableException');
    expect(error?.$metadata?.httpStatusCode).toBe(503);
    expect(isRetryableCallError(error)).toBe(true);
    expect(after.RecordId).toBeTypeOf('string');
  });
});
