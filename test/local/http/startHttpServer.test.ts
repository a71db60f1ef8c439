import { afterEach, describe, expect, it } from 'vitest';
import { HttpRouter } from '../../../local/http/HttpRouter.js';
import { sendJson } from '../../../local/http/sendJson.js';
import { type RunningHttpServer, startHttpServer } from '../../../local/http/startHttpServer.js';

const HOST = '127.0.0.1';
let server: RunningHttpServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('startHttpServer', () => {
  it('lets a request in flight finish before stop() resolves, then refuses connections', async () => {
    // Prepare: a route that answers 300 ms after it is called; stop() waits until it has been
    let answeredAt = 0;
    let reached: () => void = () => undefined;
    const handlerReached = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const router = new HttpRouter().add('GET', '/slow', async (_request, response) => {
      reached();
      await new Promise((resolve) => setTimeout(resolve, 300));
      answeredAt = Date.now();
      sendJson(response, 200, { done: true });
    });
    server = await startHttpServer({ host: HOST, port: 0, router });
    const { url } = server;
    const inFlight = fetch(`${url}/slow`);
    await handlerReached;

    // Act
    await server.stop();
    const stoppedAt = Date.now();
    const response = await inFlight;

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ done: true });
    expect(stoppedAt).toBeGreaterThanOrEqual(answeredAt);
    await expect(fetch(`${url}/slow`)).rejects.toThrow();
  });

  it('closes a request that outlives stopTimeoutMs', async () => {
    // Prepare: a route that never answers, called before stop()
    let reached: () => void = () => undefined;
    const handlerReached = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const router = new HttpRouter().add('GET', '/never', () => {
      reached();
      return new Promise<void>(() => undefined);
    });
    server = await startHttpServer({ host: HOST, port: 0, router, stopTimeoutMs: 100 });
    const inFlight = fetch(`${server.url}/never`);
    await handlerReached;

    // Act
    const started = Date.now();
    await server.stop();

    // Assess
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(inFlight).rejects.toThrow();
  });
});

describe('HttpRouter', () => {
  it('answers 500 and reports the error when a handler throws', async () => {
    // Prepare
    const errors: unknown[] = [];
    const router = new HttpRouter().add('POST', '/boom', async () => {
      throw new Error('kaput');
    });
    router.onError = (error) => errors.push(error);
    server = await startHttpServer({ host: HOST, port: 0, router });

    // Act
    const response = await fetch(`${server.url}/boom?x=1`, { method: 'POST' });

    // Assess
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error: 'internal_error',
      message: 'POST /boom failed; see the server log',
    });
    expect(errors).toEqual([new Error('kaput')]);
  });

  it('lists every method of a path in Allow when given another method', async () => {
    const ok = async () => undefined;
    const router = new HttpRouter().add('GET', '/x', ok).add('post', '/x', ok);
    server = await startHttpServer({ host: HOST, port: 0, router });

    const response = await fetch(`${server.url}/x`, { method: 'DELETE' });

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, POST');
  });

  it('answers a preflight from an allowed origin and marks its responses, not those of others', async () => {
    // Prepare
    const router = new HttpRouter({ allowOrigins: ['https://shop.example.com'] }).add(
      'POST',
      '/events',
      async (_request, response) => sendJson(response, 200, { accepted: 0 }),
    );
    server = await startHttpServer({ host: HOST, port: 0, router });
    const url = `${server.url}/events`;

    // Act
    const preflight = await fetch(url, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://shop.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-amz-date',
      },
    });
    const allowed = await fetch(url, {
      method: 'POST',
      headers: { origin: 'https://shop.example.com' },
    });
    const other = await fetch(url, { method: 'POST', headers: { origin: 'https://evil.example' } });

    // Assess
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type,x-amz-date');
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it.each([
    ['GET', 'x', 'route path must start with "/" (given "x")'],
    ['GET', '/dup', 'route GET /dup is already defined'],
  ])('throws when adding %s %s', (method, path, message) => {
    const router = new HttpRouter().add('GET', '/dup', async () => undefined);

    expect(() => router.add(method, path, async () => undefined)).toThrow(message);
  });
});
