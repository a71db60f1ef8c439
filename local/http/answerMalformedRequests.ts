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
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const [status, reason, code, message] = tooLarge
      ? ([
          431,
          'Request Header Fields Too Large',
          'headers_too_large',
          `the request line and headers together are over ${MAX_HEADER_BYTES} bytes, the most this server reads; send long values in the body`,
        ] as const)
      : ([
          400,
          'Bad Request',
          'malformed_request',
          `the request is not valid HTTP/1.1 (${error.code ?? 'parse error'})`,
        ] as const);
    const body = JSON.stringify({
      [codeMember]:
        codeMember === '__type'
          ? tooLarge
            ? 'ValidationException'
            : 'SerializationException'
          : code,
      message,
    });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
