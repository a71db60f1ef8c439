import type { IncomingMessage, ServerResponse } from 'node:http';
import { readRequestBody } from '../http/readRequestBody.js';
import { RequestBodyTooLargeError } from '../http/requestBodyErrors.js';

/**
 * Reads the body of a request to an emulator that speaks an AWS JSON
 * protocol, holding at most `maxBytes` of it. A body over the limit, declared
 * in `Content-Length` or found while reading a chunked one, is answered with
 * 413 and an AWS JSON error the SDKs parse (`SerializationException`, not
 * retried); reading stops there and the connection closes after the answer.
 *
 * @example
 * const body = await readEmulatorRequestBody(request, response, EMULATOR_MAX_REQUEST_BYTES.kinesis);
 * if (body === undefined) return; // already answered
 * @returns the body, or `undefined` when it was refused and answered
 * @throws {Error} when the client closes the connection before the body ended
 */
export async function readEmulatorRequestBody(
  request: IncomingMessage,
  response: ServerResponse,
  maxBytes: number,
): Promise<Buffer | undefined> {
  try {
    return await readRequestBody(request, response, { maxBytes });
  } catch (error) {
    if (!(error instanceof RequestBodyTooLargeError)) throw error;
    const payload = Buffer.from(
      JSON.stringify({
        __type: 'com.amazon.coral.service#SerializationException',
        message: `request body over ${maxBytes} bytes`,
      }),
    );
    response.writeHead(413, {
      // Kinesis speaks amz-json 1.1 and DynamoDB 1.0; the client's own version is the one it parses.
      'content-type': String(request.headers['content-type']).includes('1.1')
        ? 'application/x-amz-json-1.1'
        : 'application/x-amz-json-1.0',
      'content-length': payload.length,
    });
    response.end(payload);
    return undefined;
  }
}
