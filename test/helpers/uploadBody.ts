import { request as httpRequest } from 'node:http';

const CHUNK = Buffer.alloc(16 * 1024, 0x78);

/** What {@link uploadBody} got back. */
export interface Upload {
  status: number;
  retryAfter: string | undefined;
  /** Response headers. */
  headers: Record<string, string | string[] | undefined>;
  /** Response body as text. */
  text: string;
  /** Bytes the client had written when the answer came. */
  written: number;
}

/** Options of {@link uploadBody}. */
export interface UploadOptions {
  /** Sends `Content-Length: total`; otherwise the body is chunked. */
  declare?: boolean;
  /** Stops writing after this many bytes until `release` resolves. */
  holdAfter?: number;
  release?: Promise<void>;
  headers?: Record<string, string>;
  /** @default '/' */
  path?: string;
}

/**
 * Posts up to `total` bytes of `x` in 16 KiB chunks to `127.0.0.1:port`, as fast as the
 * socket takes them, and stops writing once the answer arrives, as a client that reads
 * early answers does. The headers go out before any body byte.
 */
export function uploadBody(
  port: number,
  total: number,
  options: UploadOptions = {},
): Promise<Upload> {
  return new Promise((resolve, reject) => {
    let written = 0;
    let answered = false;
    let holdAfter = options.holdAfter;
    const headers: Record<string, string> = {
      ...options.headers,
      ...(options.declare ? { 'content-length': String(total) } : {}),
    };
    const request = httpRequest(
      { host: '127.0.0.1', port, path: options.path ?? '/', method: 'POST', headers },
      (response) => {
        answered = true;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            retryAfter: response.headers['retry-after'],
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
            written,
          }),
        );
      },
    );
    // A refused upload is cut off by the server: the answer has already arrived by then.
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    request.flushHeaders();
    const pump = async () => {
      while (written < total && !answered && !request.destroyed) {
        if (holdAfter !== undefined && written >= holdAfter) {
          await options.release;
          holdAfter = undefined;
        }
        const part = CHUNK.subarray(0, Math.min(CHUNK.length, total - written));
        written += part.length;
        if (!request.write(part)) {
          await new Promise<void>((next) => {
            const done = () => {
              request.off('drain', done).off('close', done);
              next();
            };
            request.on('drain', done).on('close', done);
          });
        }
      }
      if (!answered && !request.destroyed) request.end();
    };
    void pump();
  });
}

/** A promise and the function that resolves it, to hold an upload until a test lets it go. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}
