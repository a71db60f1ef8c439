import { type IncomingHttpHeaders, request } from 'node:http';

/** What {@link streamBodyUntilAnswered} saw. */
export interface StreamedBodyAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Body bytes the client had handed to its socket when the answer's head arrived. */
  sentWhenAnswered: number;
}

/**
 * POSTs a body of up to `totalBytes` in 64 KiB writes, heeding backpressure,
 * and stops writing once the server answers. With no `content-length` in
 * `headers` the body goes chunked. `sentWhenAnswered` shows whether the server
 * answered early or only after reading everything.
 */
export function streamBodyUntilAnswered(
  url: string,
  headers: Record<string, string>,
  totalBytes: number,
): Promise<StreamedBodyAnswer> {
  const target = new URL(url);
  const chunk = Buffer.alloc(64 * 1024, 'x');
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const outgoing = request(
      {
        host: target.hostname,
        port: target.port,
        method: 'POST',
        path: target.pathname,
        headers,
        agent: false,
      },
      (response) => {
        answered = true;
        const sentWhenAnswered = sent;
        const chunks: Buffer[] = [];
        response.on('data', (data: Buffer) => chunks.push(data));
        response.on('end', () => {
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            sentWhenAnswered,
          });
          outgoing.destroy();
        });
      },
    );
    outgoing.on('error', (error) => {
      // After the answer, the server closing a connection it stopped reading is the expected end.
      if (!answered) reject(error);
    });
    const pump = (): void => {
      while (!answered && sent < totalBytes) {
        sent += chunk.length;
        if (!outgoing.write(chunk)) {
          outgoing.once('drain', pump);
          return;
        }
      }
      if (!answered) outgoing.end();
    };
    if (headers['content-length'] !== undefined && totalBytes === 0) outgoing.flushHeaders();
    else pump();
  });
}
