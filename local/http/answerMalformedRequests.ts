import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** Node's default limit on a request line and headers together (`--max-http-header-size`). */
const MAX_HEADER_BYTES = 16 * 1024;

/** How the server's error bodies name their code: `error` (the app) or `__type` (AWS JSON). */
export type ErrorCodeMember = 'error' | '__type';

/**
 * Answers requests Node's HTTP parser refuses before any route runs (a request
 * head over 16 KiB, broken framing) with a JSON body that says what was wrong,
 * instead of Node's bare status line, then closes the connection. Without a
 * listener Node writes `431` or `400` with no body; with one, it writes nothing
 * and leaves the socket to us.
 *
 * @example
 * answerMalformedRequests(server, 'error');
 */
export function answerMalformedRequests(server: Server, codeMember: ErrorCodeMember): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || (error.code === 'ECONNRESET' && !socket.readable)) {
      socket.destroy();
      return;
    }
    const answer = answerFor(error.code);
    const body = JSON.stringify({
      [codeMember]: codeMember === '__type' ? answer.awsType : answer.code,
      message: answer.message,
    });
    socket.end(
      `HTTP/1.1 ${answer.status} ${answer.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

/** What a refused request is told, in the app's and in the AWS JSON shape. */
interface MalformedRequestAnswer {
  status: number;
  reason: string;
  code: string;
  awsType: string;
  message: string;
}

function answerFor(errorCode: string | undefined): MalformedRequestAnswer {
  switch (errorCode) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        reason: 'Request Header Fields Too Large',
        code: 'headers_too_large',
        awsType: 'ValidationException',
        message: `the request line and headers together are over ${MAX_HEADER_BYTES} bytes, the most this server reads; send long values in the body`,
      };
    // The server's headersTimeout or requestTimeout passed before the request was whole.
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        reason: 'Request Timeout',
        code: 'request_timeout',
        awsType: 'RequestTimeoutException',
        message: 'the request did not arrive whole in time; send it without pausing',
      };
    default:
      return {
        status: 400,
        reason: 'Bad Request',
        code: 'malformed_request',
        awsType: 'SerializationException',
        message: `the request is not valid HTTP/1.1 (${errorCode ?? 'parse error'})`,
      };
  }
}
