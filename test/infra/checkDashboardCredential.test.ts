import { spawnSync } from 'node:child_process';
import * as nodeCrypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { CHECK_CREDENTIAL_FUNCTION_FILE } from '../../infra/constructs/DashboardHosting.js';
import {
  DASHBOARD_CREDENTIAL_KEY,
  dashboardCredentialValue,
} from '../../infra/edge/dashboardCredentialValue.js';

/** A CloudFront Functions header map: lower-case names, `{ value }` objects. */
type Headers = Record<string, { value: string }>;

interface ViewerRequest {
  method: string;
  uri: string;
  querystring: Record<string, { value: string }>;
  headers: Headers;
  cookies: Record<string, { value: string }>;
}

interface ViewerResponse {
  statusCode: number;
  statusDescription: string;
  headers: Headers;
}

type Handler = (event: { request: ViewerRequest }) => Promise<ViewerRequest | ViewerResponse>;

/**
 * A fake key value store: `get` rejects for a missing key, as the documentation says:
 * "The get() method will return an error when the key that you requested doesn't exist in
 * the associated key value store."
 */
class FakeKeyValueStore {
  public readonly values = new Map<string, string>();
  public reads = 0;

  public async get(key: string): Promise<string> {
    this.reads += 1;
    const value = this.values.get(key);
    if (value === undefined) throw new Error(`Key ${key} not found`);
    return value;
  }
}

/**
 * The function file run as CloudFront runs it, with the two modules it imports replaced:
 * `cloudfront` by one whose `kvs()` is `store`, `crypto` by Node's (the runtime's crypto
 * module offers createHash('sha256') with hex digests as Node's does).
 */
function loadHandler(store: FakeKeyValueStore): Handler {
  const source = readFileSync(CHECK_CREDENTIAL_FUNCTION_FILE, 'utf8');
  const imports = ["import cf from 'cloudfront';", "import crypto from 'crypto';"];
  for (const line of imports) expect(source).toContain(`\n${line}\n`);
  const body = imports.reduce((text, line) => text.replace(line, ''), source);
  const cf = { kvs: () => store };
  const silentConsole = { log: () => undefined };
  return new Function('cf', 'crypto', 'console', `${body}\nreturn handler;`)(
    cf,
    nodeCrypto,
    silentConsole,
  ) as Handler;
}

function viewerRequest(headers: Headers = {}, uri = '/api/series'): ViewerRequest {
  return {
    method: 'GET',
    uri,
    querystring: { metric: { value: 'revenue' } },
    headers: { host: { value: 'd111111abcdef8.cloudfront.net' }, ...headers },
    cookies: {},
  };
}

function basic(user: string, password: string): Headers {
  const token = Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
  return { authorization: { value: `Basic ${token}` } };
}

const USER = 'dashboard';
const PASSWORD = 'Tr0ub4dor&3-correct-horse-battery-staple';

describe('checkDashboardCredential (CloudFront Function, viewer request)', () => {
  let store: FakeKeyValueStore;
  let handler: Handler;

  beforeEach(() => {
    // Prepare
    store = new FakeKeyValueStore();
    handler = loadHandler(store);
  });

  it('reads the key the docs and dashboardCredentialValue() name', () => {
    const source = readFileSync(CHECK_CREDENTIAL_FUNCTION_FILE, 'utf8');
    expect(source).toContain(`const CREDENTIAL_KEY = '${DASHBOARD_CREDENTIAL_KEY}';`);
  });

  it('refuses every request, even with a password, while no credential is set', async () => {
    // Act
    const response = await handler({ request: viewerRequest(basic(USER, PASSWORD)) });

    // Assess
    expect(response).toEqual({
      statusCode: 401,
      statusDescription: 'Unauthorized',
      headers: {
        'www-authenticate': { value: 'Basic realm="streamfold dashboard", charset="UTF-8"' },
        'cache-control': { value: 'no-store' },
      },
    });
    expect(store.reads).toBe(1);
  });

  it('challenges a request without credentials without reading the store', async () => {
    // Prepare
    store.values.set(DASHBOARD_CREDENTIAL_KEY, dashboardCredentialValue(USER, PASSWORD));

    // Act
    const response = await handler({ request: viewerRequest() });

    // Assess
    expect(response).toMatchObject({ statusCode: 401 });
    expect(store.reads).toBe(0);
  });

  it('passes the right credential on, without its Authorization header', async () => {
    // Prepare
    store.values.set(DASHBOARD_CREDENTIAL_KEY, dashboardCredentialValue(USER, PASSWORD));
    const request = viewerRequest(basic(USER, PASSWORD), '/index.html');

    // Act
    const result = await handler({ request });

    // Assess: the request itself goes on to the origin, the password stays at the edge
    expect(result).toBe(request);
    expect(request.headers).toEqual({ host: { value: 'd111111abcdef8.cloudfront.net' } });
    expect(request.querystring).toEqual({ metric: { value: 'revenue' } });
  });

  it.each([
    ['a wrong password', basic(USER, `${PASSWORD}x`)],
    ['a wrong user', basic('admin', PASSWORD)],
    ['another scheme', { authorization: { value: `Bearer ${PASSWORD}` } }],
    ['an empty Basic token', { authorization: { value: 'Basic ' } }],
    [
      'the stored digest itself',
      {
        authorization: {
          value: `Basic ${dashboardCredentialValue(USER, PASSWORD, 'ab').split(':')[1]}`,
        },
      },
    ],
  ])('refuses %s', async (_name, headers) => {
    // Prepare
    store.values.set(DASHBOARD_CREDENTIAL_KEY, dashboardCredentialValue(USER, PASSWORD, 'ab'));

    // Act
    const response = await handler({ request: viewerRequest(headers) });

    // Assess
    expect(response).toMatchObject({ statusCode: 401 });
  });

  it.each(['basic', 'BASIC', ' Basic'])(
    'accepts the scheme written %j: RFC 9110 makes it case-insensitive',
    async (scheme) => {
      // Prepare
      store.values.set(DASHBOARD_CREDENTIAL_KEY, dashboardCredentialValue(USER, PASSWORD));
      const token = Buffer.from(`${USER}:${PASSWORD}`, 'utf8').toString('base64');
      const request = viewerRequest({ authorization: { value: `${scheme} ${token}` } });

      // Act
      const result = await handler({ request });

      // Assess
      expect(result).toBe(request);
    },
  );

  it('refuses everything when the stored value is not "<salt>:<digest>"', async () => {
    // Prepare
    const value = dashboardCredentialValue(USER, PASSWORD);
    store.values.set(DASHBOARD_CREDENTIAL_KEY, value.split(':')[1] ?? '');

    // Act
    const response = await handler({ request: viewerRequest(basic(USER, PASSWORD)) });

    // Assess
    expect(response).toMatchObject({ statusCode: 401 });
  });

  it('accepts a non-ASCII password as a browser sends it (UTF-8 before base64)', async () => {
    // Prepare
    store.values.set(DASHBOARD_CREDENTIAL_KEY, dashboardCredentialValue(USER, 'pässwörd-ü'));

    // Act
    const request = viewerRequest(basic(USER, 'pässwörd-ü'));
    const result = await handler({ request });

    // Assess
    expect(result).toBe(request);
  });
});

describe('dashboardCredentialValue', () => {
  it('salts: the same password gives another value each time', () => {
    const first = dashboardCredentialValue(USER, PASSWORD);
    const second = dashboardCredentialValue(USER, PASSWORD);
    expect(first).not.toBe(second);
    expect(first).toMatch(/^[0-9a-f]{32}:[0-9a-f]{64}$/);
  });

  it('is SHA-256 of "<salt>:<base64(user:password)>"', () => {
    const token = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
    const digest = nodeCrypto.createHash('sha256').update(`00ff:${token}`).digest('hex');
    expect(dashboardCredentialValue(USER, PASSWORD, '00ff')).toBe(`00ff:${digest}`);
  });

  it.each([
    ['', PASSWORD, /user must be non-empty and hold no colon \(given ""\)/],
    ['a:b', PASSWORD, /user must be non-empty and hold no colon \(given "a:b"\)/],
    [USER, '', /password must not be empty/],
  ])('refuses user %j', (user, password, message) => {
    expect(() => dashboardCredentialValue(user, password)).toThrow(message);
  });
});

describe('printDashboardCredential (npx tsx infra/edge/printDashboardCredential.ts)', () => {
  const script = fileURLToPath(
    new URL('../../infra/edge/printDashboardCredential.ts', import.meta.url),
  );
  const run = (args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', ...env },
    });

  it('prints a value the CloudFront Function accepts for the password in DASHBOARD_PASSWORD', async () => {
    // Act
    const result = run(['operator'], { DASHBOARD_PASSWORD: PASSWORD });

    // Assess
    expect(result.status).toBe(0);
    const store = new FakeKeyValueStore();
    store.values.set(DASHBOARD_CREDENTIAL_KEY, result.stdout.trim());
    const request = viewerRequest(basic('operator', PASSWORD));
    expect(await loadHandler(store)({ request })).toBe(request);
  });

  it('exits 2 naming the variable when DASHBOARD_PASSWORD is not set', () => {
    // Act
    const result = run([], {});

    // Assess
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe('DASHBOARD_PASSWORD environment variable is not set');
    expect(result.stdout).toBe('');
  });
});
