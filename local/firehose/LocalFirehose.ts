import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Delivery } from '../archiver/S3DeliveryBuffer.js';
import { refuseBrowserRequests } from '../http/refuseBrowserRequests.js';
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
 * Largest request body read, bytes. A full call is 4 MiB of data, about 5.6 MB
 * in base64; this leaves room to answer oversized calls with the API's error
 * instead of dropping the connection.
 */
const MAX_BODY_BYTES = 64 * 1024 * 1024;
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

  private constructor(
    server: Server,
    streams: Map<string, DirectPutDeliveryStream>,
    accountId: string,
    host: string,
  ) {
    this.#server = server;
    this.#streams = streams;
    this.#accountId = accountId;
    this.port = (server.address() as AddressInfo).port;
    this.endpoint = `http://${host}:${this.port}`;
  }

  /**
   * Creates the delivery streams, starts their buffering timers and listens.
   *
   * @throws {Error} when two delivery streams share a name or the port is taken
   */
  public static async start(options: LocalFirehoseOptions): Promise<LocalFirehose> {
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
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    firehose = new LocalFirehose(server, streams, account.accountId, options.host);
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
      const body = await readBody(request);
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
      );
    }
  }
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        request.destroy();
        reject(
          new FirehoseApiError(
            'SerializationException',
            `request body exceeds ${MAX_BODY_BYTES} bytes`,
            413,
          ),
        );
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks, size)));
    request.on('error', reject);
  });
}

function send(
  response: ServerResponse,
  status: number,
  requestId: string,
  body: unknown,
  errorType?: string,
): void {
  if (response.headersSent || response.destroyed) return;
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(payload),
    'x-amzn-RequestId': requestId,
    ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}),
  });
  response.end(payload);
}
