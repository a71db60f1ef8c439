import { type IncomingHttpHeaders, request } from 'node:http';

/** What {@link rawHttpRequest} sends. */
export interface RawHttpRequest {
  method?: string;
  /** Sent as given; a `host` here replaces the one taken from the URL. */
  headers?: Record<string, string>;
  body?: string;
}

/** What {@link rawHttpRequest} received. */
export interface RawHttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTP/1.1 request with exactly the headers given. `fetch` refuses to set
 * `Host` (a forbidden header name in the Fetch standard), and a rebinding
 * browser sends its own; `node:http` lets the test send any.
 */
export function rawHttpRequest(
  url: string,
  options: RawHttpRequest = {},
): Promise<RawHttpResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port,
        method: options.method ?? 'GET',
        path: `${target.pathname}${target.search}`,
        headers: options.headers ?? {},
        // A fresh connection per request: a refused request closes its connection.
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** The `access-control-*` headers of a response: none means no browser may read it. */
export function corsHeadersOf(response: RawHttpResponse): string[] {
  return Object.keys(response.headers).filter((name) => name.startsWith('access-control-'));
}
