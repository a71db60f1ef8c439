import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Delivery } from '../archiver/S3DeliveryBuffer.js';
import { answerMalformedRequests } from '../http/answerMalformedRequests.js';
import { InFlightBytes } from '../http/InFlightBytes.js';
import { readRequestBody } from '../http/readRequestBody.js';
import { refuseBrowserRequests } from '../http/refuseBrowserRequests.js';
import {
  RequestBodyTimeoutError,
  RequestBodyTooLargeError,
  ServerBusyError,
} from '../http/requestBodyErrors.js';
import {
  DirectPutDeliveryStream,
  type DirectPutDeliveryStreamSettings,
} from './DirectPutDeliveryStream.js';
import { FirehoseApiError } from './FirehoseApiError.js';
import { firehoseOperations } from './firehoseOperations.js';

/** The `X-Amz-Target` prefix of every Firehose operation (API version 2015-08-04). */
const TARGET_PREFIX = 'Firehose_20150804.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
/**
 * Largest request body read, bytes. The API takes at most 4 MiB of record data
 * per call (500 records of at most 1,000 KiB each, before base64). On the
 * wire that data is base64 in JSON: 4/3 of 4 MiB is 5.59 MB, plus at most
 * 2 padding bytes and about 12 bytes of `{"Data":""},` per record and the
 * stream's name, about 5.6 MB for the largest valid call. 8 MiB, the base64 of
 * 6 MiB, also reads a call of up to six largest records (6,000 KiB of data),
 * the likeliest mistake, to answer it with the API's own
 * `InvalidArgumentException` "Records size exceeds 4 MB limit"; a larger body
 * is answered 413 without being kept.
 */
const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** How long `stop()` waits for requests in progress before closing their connections, ms. */
const STOP_GRACE_MS = 2_000;

/** Options of {@link LocalFirehose.start}. */
export interface LocalFirehoseOptions {
  /** Interface to bind. */
  host: string;
  /** Port to bind; 0 picks a free one. */
  port: number;
  /**
   * More `Host` values to answer besides `host`, `localhost`, `127.0.0.1` and `[::1]` on
   * this port, as in `local.allowHosts`.
   * @default - none
   */
  allowHosts?: readonly string[];
  /** Region shown in ARNs. */
  region: string;
  /** Account shown in ARNs and error messages. @default '000000000000' */
  accountId?: string;
  /** Where the delivery streams write. */
  s3: S3Client;
  deliveryStreams: DirectPutDeliveryStreamSettings[];
  /** Told about every object a delivery stream writes. */
  onDelivered?: (deliveryStreamName: string, delivery: S3Delivery) => void;
  /** Told about a failed S3 write; the records stay buffered for the next attempt. */
  onError?: (deliveryStreamName: string, error: unknown) => void;
  /**
   * Request body bytes read at once across concurrent calls; beyond it a call gets 503
   * `ServiceUnavailableException` with `Retry-After`, unread, which the SDK and the
   * producers retry.
   * @default - `DEFAULT_MAX_IN_FLIGHT_BYTES` (32 MiB, four bodies of the largest size read)
   */
  maxInFlightBytes?: number;
}

/** Calls answered, by operation and by error code. */
export interface LocalFirehoseStats {
  /** Requests per operation name, successful or not. */
  requests: Record<string, number>;
  /** Error answers per error code (`ValidationException`, ...). */
  errors: Record<string, number>;
}

/**
 * A Firehose endpoint on loopback that speaks the real wire protocol (AWS
 * JSON 1.1, `X-Amz-Target: Firehose_20150804.<Operation>`), so the SDK v3
 * `FirehoseClient`, the aws CLI and any other Firehose client work against it
 * unchanged. It serves `PutRecord`, `PutRecordBatch`, `DescribeDeliveryStream`
 * and `ListDeliveryStreams` for direct-PUT delivery streams whose records are
 * delivered to S3 with Firehose's buffering, compression, prefix and naming.
 * Requests are not authenticated: any credentials work. Requests from web
 * browsers and with a foreign `Host` get 403 (see `refuseBrowserRequests`).
 *
 * @example
 * const firehose = await LocalFirehose.start({ host: '127.0.0.1', port: 4571, region: 'us-east-1', s3,
 *   deliveryStreams: [{ deliveryStreamName: 'streamfold-direct', bucket: 'streamfold-archive',
 *     prefix: 'direct/', errorOutputPrefix: 'direct-errors/', bufferingSizeBytes: 5 << 20,
 *     bufferingIntervalMs: 60_000 }] });
 * const client = new FirehoseClient({ endpoint: firehose.endpoint, region: 'us-east-1' });
 * await firehose.stop(); // writes what is buffered
 */
export class LocalFirehose {
  /** `http://host:port` for the SDK's `endpoint` option. */
  public readonly endpoint: string;
  public readonly port: number;
  public readonly stats: LocalFirehoseStats = { requests: {}, errors: {} };
  readonly #server: Server;
  readonly #streams: Map<string, DirectPutDeliveryStream>;
  readonly #accountId: string;
  readonly #inFlight: InFlightBytes;

  private constructor(
    server: Server,
    streams: Map<string, DirectPutDeliveryStream>,
    accountId: string,
    host: string,
    inFlight: InFlightBytes,
  ) {
    this.#server = server;
    this.#streams = streams;
    this.#accountId = accountId;
    this.#inFlight = inFlight;
    this.port = (server.address() as AddressInfo).port;
    this.endpoint = `http://${host}:${this.port}`;
  }

  /**
   * Creates the delivery streams, starts their buffering timers and listens.
   *
   * @throws {Error} when two delivery streams share a name or the port is taken
   * @throws {RangeError} when `maxInFlightBytes` is under one largest request body (8 MiB)
   */
  /** Request body bytes held now across the calls being read and handled. */
  public get heldRequestBytes(): number {
    return this.#inFlight.heldBytes;
  }

  public static async start(options: LocalFirehoseOptions): Promise<LocalFirehose> {
    const inFlight = new InFlightBytes(options.maxInFlightBytes);
    if (inFlight.maxBytes < MAX_BODY_BYTES) {
      // Otherwise a full PutRecordBatch call would get 503 forever.
      throw new RangeError(
        `maxInFlightBytes must be at least ${MAX_BODY_BYTES}, one largest request body (given ${inFlight.maxBytes})`,
      );
    }
    const streams = new Map<string, DirectPutDeliveryStream>();
    const account = { region: options.region, accountId: options.accountId ?? '000000000000' };
    for (const settings of options.deliveryStreams) {
      const name = settings.deliveryStreamName;
      if (streams.has(name)) throw new Error(`delivery stream "${name}" is declared twice`);
      streams.set(
        name,
        new DirectPutDeliveryStream(settings, options.s3, account, {
          onDelivered: (delivery) => options.onDelivered?.(name, delivery),
          onError: (error) => options.onError?.(name, error),
        }),
      );
    }
    let firehose: LocalFirehose | undefined;
    const server = createServer((request, response) => {
      if (firehose) void firehose.#handle(request, response);
      else
        send(
          response,
          503,
          randomUUID(),
          { __type: 'ServiceUnavailableException', message: 'starting' },
          'ServiceUnavailableException',
        );
    });
    server.keepAliveTimeout = 5_000;
    refuseBrowserRequests(server, { host: options.host, allowHosts: options.allowHosts });
    answerMalformedRequests(server, '__type');
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    firehose = new LocalFirehose(server, streams, account.accountId, options.host, inFlight);
    for (const stream of streams.values()) stream.start();
    return firehose;
  }

  /** A delivery stream by name, to inspect its counters in tests and status lines. */
  public deliveryStream(name: string): DirectPutDeliveryStream | undefined {
    return this.#streams.get(name);
  }

  /** Records accepted by every delivery stream and not yet written to S3. */
  public get bufferedRecords(): number {
    let total = 0;
    for (const stream of this.#streams.values()) total += stream.bufferedRecords;
    return total;
  }

  /** Writes every delivery stream's buffer now. */
  public async flush(): Promise<void> {
    await Promise.all([...this.#streams.values()].map((stream) => stream.flush()));
  }

  /** Stops listening (requests in progress finish first), then writes every buffer. */
  public async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    const grace = setTimeout(() => this.#server.closeAllConnections(), STOP_GRACE_MS);
    await closed;
    clearTimeout(grace);
    await Promise.all([...this.#streams.values()].map((stream) => stream.stop()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const target = request.headers['x-amz-target'];
    const operationName =
      typeof target === 'string' && target.startsWith(TARGET_PREFIX)
        ? target.slice(TARGET_PREFIX.length)
        : undefined;
    try {
      const body = await readFirehoseBody(request, response, this.#inFlight);
      if (request.method !== 'POST' || operationName === undefined) {
        throw new FirehoseApiError(
          'UnknownOperationException',
          `expected a POST with X-Amz-Target: ${TARGET_PREFIX}<Operation> (given ${request.method} with ${JSON.stringify(target ?? null)})`,
        );
      }
      this.stats.requests[operationName] = (this.stats.requests[operationName] ?? 0) + 1;
      const operation = Object.hasOwn(firehoseOperations, operationName)
        ? firehoseOperations[operationName]
        : undefined;
      if (!operation) {
        throw new FirehoseApiError(
          'UnknownOperationException',
          `${operationName} is not served by the local Firehose endpoint (served: ${Object.keys(firehoseOperations).join(', ')})`,
        );
      }
      let input: unknown;
      try {
        input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch (error) {
        throw new FirehoseApiError(
          'SerializationException',
          `request body is not JSON: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      const output = operation(input, { streams: this.#streams, accountId: this.#accountId });
      send(response, 200, requestId, output);
    } catch (error) {
      const apiError =
        error instanceof FirehoseApiError
          ? error
          : new FirehoseApiError(
              'InternalFailure',
              error instanceof Error ? error.message : String(error),
              500,
            );
      this.stats.errors[apiError.type] = (this.stats.errors[apiError.type] ?? 0) + 1;
      send(
        response,
        apiError.statusCode,
        requestId,
        {
          __type: apiError.type,
          message: apiError.message,
        },
        apiError.type,
        apiError.retryAfterSeconds,
      );
    }
  }
}

/** Reads a call's body within {@link MAX_BODY_BYTES} and the bytes in flight, as API errors. */
async function readFirehoseBody(
  request: IncomingMessage,
  response: ServerResponse,
  inFlight: InFlightBytes,
): Promise<Buffer> {
  try {
    return await readRequestBody(request, response, { maxBytes: MAX_BODY_BYTES, inFlight });
  } catch (error) {
    if (error instanceof ServerBusyError) {
      throw new FirehoseApiError(
        'ServiceUnavailableException',
        error.message,
        503,
        error.retryAfterSeconds,
      );
    }
    if (error instanceof RequestBodyTimeoutError) {
      throw new FirehoseApiError('RequestTimeoutException', error.message, 408);
    }
    if (error instanceof RequestBodyTooLargeError) {
      throw new FirehoseApiError(
        'SerializationException',
        `${error.message}: a PutRecordBatch call carries at most 4 MiB of data (base64 in JSON)`,
        413,
      );
    }
    throw error;
  }
}

function send(
  response: ServerResponse,
  status: number,
  requestId: string,
  body: unknown,
  errorType?: string,
  retryAfterSeconds?: number,
): void {
  if (response.headersSent || response.destroyed) return;
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(payload),
    'x-amzn-RequestId': requestId,
    ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}),
    ...(retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) }),
  });
  response.end(payload);
}
