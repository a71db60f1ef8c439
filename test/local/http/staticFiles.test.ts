import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaticFilesRoute } from '../../../local/http/createStaticFilesRoute.js';
import { HttpRouter } from '../../../local/http/HttpRouter.js';
import { mountDashboard, UPLOT_DIST_DIR } from '../../../local/http/mountDashboard.js';
import { resolveStaticPath } from '../../../local/http/resolveStaticPath.js';
import { type RunningHttpServer, startHttpServer } from '../../../local/http/startHttpServer.js';

/** A GET with the path sent byte for byte: fetch would normalise `..` before sending it. */
function rawGet(
  url: string,
  path: string,
): Promise<{ status: number; type: string | undefined; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET' }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          type: response.headers['content-type'],
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('resolveStaticPath', () => {
  it.each([
    ['app.js', '/srv/site/app.js'],
    ['css/site.css', '/srv/site/css/site.css'],
    ['a%20b.txt', '/srv/site/a b.txt'],
  ])('maps %s inside the root', (path, expected) => {
    expect(resolveStaticPath('/srv/site', path)).toBe(expected);
  });

  it.each([
    '',
    '..',
    '../package.json',
    '..%2fpackage.json',
    '%2e%2e/package.json',
    '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
    'css/../../package.json',
    './app.js',
    'css//site.css',
    '..%5cpackage.json',
    '%2fetc%2fpasswd',
    'app.js%00.css',
    'bad%zzescape',
  ])('refuses %j', (path) => {
    expect(resolveStaticPath('/srv/site', path)).toBeUndefined();
  });
});

describe('static file routes', () => {
  let server: RunningHttpServer;
  let outside: string;
  let root: string;

  beforeAll(async () => {
    // Prepare: a folder with a page, a source file, a sub-folder and a link to a file outside it
    outside = mkdtempSync(join(tmpdir(), 'streamfold-outside-'));
    writeFileSync(join(outside, 'secret.txt'), 'not for the web');
    root = mkdtempSync(join(tmpdir(), 'streamfold-static-'));
    writeFileSync(join(root, 'page.html'), '<p>hi</p>');
    writeFileSync(join(root, 'source.ts'), 'export {};');
    symlinkSync(join(outside, 'secret.txt'), join(root, 'link.txt'));
    symlinkSync(outside, join(root, 'folder.txt'));
    const router = mountDashboard(new HttpRouter()).addPrefix(
      'GET',
      '/files/',
      createStaticFilesRoute({ root, urlPrefix: '/files/' }),
    );
    server = await startHttpServer({ host: '127.0.0.1', port: 0, router });
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it.each([
    ['/', 'text/html; charset=utf-8', '/dashboard/app.js'],
    ['/dashboard/app.js', 'text/javascript; charset=utf-8', "from '/vendor/uplot/uPlot.esm.js'"],
    ['/dashboard/style.css', 'text/css; charset=utf-8', '.layout'],
    ['/vendor/uplot/uPlot.esm.js', 'text/javascript; charset=utf-8', 'export'],
    ['/vendor/uplot/uPlot.min.css', 'text/css; charset=utf-8', '.uplot'],
    ['/files/page.html', 'text/html; charset=utf-8', '<p>hi</p>'],
  ])('serves %s as %s', async (path, type, excerpt) => {
    const response = await fetch(`${server.url}${path}`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(type);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toContain(excerpt);
  });

  it('answers HEAD as GET without the body', async () => {
    const response = await fetch(`${server.url}/dashboard/app.js`, { method: 'HEAD' });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(Number(response.headers.get('content-length'))).toBeGreaterThan(0);
    expect(await response.text()).toBe('');
  });

  it('serves uPlot byte for byte from the installed package', async () => {
    const response = await fetch(`${server.url}/vendor/uplot/uPlot.esm.js`);

    expect(Buffer.from(await response.arrayBuffer())).toEqual(
      readFileSync(join(UPLOT_DIST_DIR, 'uPlot.esm.js')),
    );
  });

  it.each([
    '/dashboard/../package.json',
    '/dashboard/..%2fpackage.json',
    '/dashboard/%2e%2e/package.json',
    '/dashboard/%2e%2e%2f%2e%2e%2fpackage.json',
    '/dashboard/..%5c..%5cpackage.json',
    '/vendor/uplot/../package.json',
    '/vendor/uplot/..%2f..%2f..%2fpackage.json',
    '/dashboard/',
    '/dashboard/missing.js',
    '/dashboard/app.js%00.css',
    '/files/source.ts',
    '/files/link.txt',
    '/files/folder.txt/secret.txt',
    '/files/%2e%2e/%2e%2e/etc/passwd',
    // A name longer than the disk takes (ENAMETOOLONG) names no file either.
    `/dashboard/${'a'.repeat(300)}.js`,
    `/vendor/uplot/${'a'.repeat(300)}`,
  ])('answers 404 without content for %s', async (path) => {
    const response = await rawGet(server.url, path);

    expect(response.status).toBe(404);
    expect(response.type).toBe('application/json; charset=utf-8');
    expect(response.body).not.toContain('streamfold');
    expect(response.body).not.toContain('not for the web');
    expect(JSON.parse(response.body)).toMatchObject({ error: 'not_found' });
  });

  it('refuses a prefix that does not end with a slash', () => {
    expect(() => new HttpRouter().addPrefix('GET', '/files', async () => undefined)).toThrow(
      'route prefix must start and end with "/" (given "/files")',
    );
  });
});
