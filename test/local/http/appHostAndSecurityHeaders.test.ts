import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRouter } from '../../../local/http/HttpRouter.js';
import { mountDashboard } from '../../../local/http/mountDashboard.js';
import { DASHBOARD_CONTENT_SECURITY_POLICY } from '../../../local/http/securityHeaders.js';
import { sendJson } from '../../../local/http/sendJson.js';
import { type RunningHttpServer, startHttpServer } from '../../../local/http/startHttpServer.js';
import { corsHeadersOf, type RawHttpRequest, rawHttpRequest } from './rawHttpRequest.js';

const HOST = '127.0.0.1';
const SHOP = 'https://shop.example.com';
const API_POLICY = "default-src 'none'; frame-ancestors 'none'";

let server: RunningHttpServer;
/** Requests that reached a route. */
let routed = 0;

beforeAll(async () => {
  const router = new HttpRouter({ allowOrigins: [SHOP] })
    .add('GET', '/api/metrics', async (_request, response) => {
      routed++;
      sendJson(response, 200, { metrics: ['revenue'] });
    })
    .add('POST', '/events', async (_request, response) => {
      routed++;
      sendJson(response, 202, { accepted: 1 });
    })
    .add('GET', '/broken', async () => {
      throw new Error('broken on purpose');
    });
  mountDashboard(router);
  server = await startHttpServer({
    host: HOST,
    port: 0,
    router,
    allowHosts: ['devbox.example'],
  });
});

afterAll(async () => {
  await server?.stop();
});

function send(path: string, request: RawHttpRequest = {}) {
  return rawHttpRequest(`${server.url}${path}`, request);
}

describe('the app port', () => {
  it.each([
    '127.0.0.1:PORT',
    'localhost:PORT',
    '[::1]:PORT',
    'devbox.example',
    'devbox.example:PORT',
  ])('serves a request whose Host is %s', async (hostTemplate) => {
    // Act
    const response = await send('/api/metrics', {
      headers: { host: hostTemplate.replace('PORT', String(server.port)) },
    });

    // Assess
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ metrics: ['revenue'] });
  });

  it.each([
    ['GET', '/api/metrics', 'evil.example:PORT'],
    ['GET', '/api/metrics', 'evil.example'],
    ['GET', '/api/metrics', 'localhost:1'],
    ['GET', '/', 'evil.example:PORT'],
    ['POST', '/events', 'evil.example:PORT'],
  ])(
    'answers %s %s with Host %s with 421, before any route runs (DNS rebinding)',
    async (method, path, hostTemplate) => {
      // Prepare
      const before = routed;
      const host = hostTemplate.replace('PORT', String(server.port));

      // Act
      const response = await send(path, {
        method,
        headers: { host, 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: '[]' } : {}),
      });

      // Assess
      expect(response.status).toBe(421);
      expect(JSON.parse(response.body)).toMatchObject({
        error: 'misdirected_request',
        message: expect.stringContaining(`Host "${host}" is not this server`),
      });
      expect(routed).toBe(before);
    },
  );

  it('answers a preflight from an allowed origin with a foreign Host with 421 and no CORS headers', async () => {
    // Act
    const response = await send('/events', {
      method: 'OPTIONS',
      headers: {
        host: `evil.example:${server.port}`,
        origin: SHOP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });

    // Assess
    expect(response.status).toBe(421);
    expect(corsHeadersOf(response)).toEqual([]);
  });

  it('still lets an allowed origin post to the ingest path', async () => {
    // Act
    const preflight = await send('/events', {
      method: 'OPTIONS',
      headers: { origin: SHOP, 'access-control-request-method': 'POST' },
    });
    const post = await send('/events', {
      method: 'POST',
      headers: { origin: SHOP, 'content-type': 'application/json' },
      body: '[]',
    });

    // Assess
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(SHOP);
    expect(post.status).toBe(202);
    expect(post.headers['access-control-allow-origin']).toBe(SHOP);
  });
});

describe('the security headers of the app port', () => {
  it.each<[string, string, RawHttpRequest, number]>([
    ['an API answer', '/api/metrics', {}, 200],
    ['an ingest answer', '/events', { method: 'POST', body: '[]' }, 202],
    ['a preflight answer', '/events', { method: 'OPTIONS', headers: { origin: SHOP } }, 204],
    ['a 404', '/nowhere', {}, 404],
    ['a 405', '/events', { method: 'DELETE' }, 405],
    ['a 500', '/broken', {}, 500],
    ['a 421', '/api/metrics', { headers: { host: 'evil.example' } }, 421],
    ['the dashboard script', '/dashboard/app.js', {}, 200],
    ['the chart library', '/vendor/uplot/uPlot.esm.js', {}, 200],
  ])(
    'are on %s, with the content policy of a page that loads nothing',
    async (_what, path, request, status) => {
      // Act
      const response = await send(path, request);

      // Assess
      expect(response.status).toBe(status);
      expect(response.headers['content-security-policy']).toBe(API_POLICY);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
    },
  );

  it("are on the dashboard page, with the dashboard's own content policy", async () => {
    // Act
    const response = await send('/');

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['content-security-policy']).toBe(DASHBOARD_CONTENT_SECURITY_POLICY);
    expect(DASHBOARD_CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(DASHBOARD_CONTENT_SECURITY_POLICY).toContain("base-uri 'none'");
    expect(DASHBOARD_CONTENT_SECURITY_POLICY).toContain("form-action 'none'");
    expect(DASHBOARD_CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
  });
});
