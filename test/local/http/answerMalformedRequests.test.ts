import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { answerMalformedRequests } from '../../../local/http/answerMalformedRequests.js';

/** Sends raw bytes and resolves with everything the server wrote before closing. */
function exchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('utf8');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}

function statusAndBody(answer: string): { status: number; body: Record<string, unknown> } {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), body: JSON.parse(body) };
}

describe('answerMalformedRequests', () => {
  let server: Server | undefined;

  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  async function serve(codeMember: 'error' | '__type'): Promise<number> {
    server = createServer((_request, response) => response.end('ok'));
    answerMalformedRequests(server, codeMember);
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  it('answers a request head over 16 KiB with a 431 that says so, in JSON', async () => {
    // Act
    const port = await serve('error');
    const answer = await exchange(
      port,
      `GET /api/series?group=${'x'.repeat(17_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
    );

    // Assess
    expect(statusAndBody(answer)).toEqual({
      status: 431,
      body: {
        error: 'headers_too_large',
        message: expect.stringContaining('over 16384 bytes'),
      },
    });
  });

  it('answers broken framing with a 400 in the AWS JSON shape on the Firehose endpoint', async () => {
    // Act: a NUL inside a header value is not HTTP
    const port = await serve('__type');
    const answer = await exchange(
      port,
      'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Date: a\0b\r\n\r\n',
    );

    // Assess
    expect(statusAndBody(answer)).toEqual({
      status: 400,
      body: {
        __type: 'SerializationException',
        message: expect.stringContaining('not valid HTTP/1.1'),
      },
    });
  });

  it('answers a request whose head does not arrive in time with a 408', async () => {
    // Prepare: timeouts of a fraction of a second, checked often
    server = createServer(
      { connectionsCheckingInterval: 50, headersTimeout: 200, requestTimeout: 300 },
      (_request, response) => response.end('ok'),
    );
    answerMalformedRequests(server, 'error');
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;

    // Act: half a request line, then nothing
    const answer = await exchange(port, 'GET /api/met');

    // Assess
    expect(statusAndBody(answer)).toEqual({
      status: 408,
      body: { error: 'request_timeout', message: expect.stringContaining('in time') },
    });
  });

  it('leaves well-formed requests to the server', async () => {
    // Act
    const port = await serve('error');
    const answer = await exchange(
      port,
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    );

    // Assess
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(answer.endsWith('ok')).toBe(true);
  });
});
