import type { RouteHandler } from './HttpRouter.js';
import { sendJson } from './sendJson.js';

/** Whether every part of the local runtime is up, and each part's state. */
export interface RuntimeHealth {
  /** `ok` when every part is up; `down` while one is (even while it is being restarted). */
  status: 'ok' | 'down';
  /** Per part (`kinesis`, `dynamodb`, `s3`): `up`, or `down (exited with signal SIGKILL at …; …)`. */
  parts: Record<string, string>;
}

/** The HTTP status of a health answer: 503 while a part is down, so probes fail. */
export function healthStatusCode(health: RuntimeHealth): number {
  return health.status === 'ok' ? 200 : 503;
}

/**
 * `GET /health`: `{"status":"ok","parts":{…}}` with 200 while every part of
 * the runtime is up, `{"status":"down","parts":{"kinesis":"down (…)",…}}`
 * with 503 while one is down, for scripts waiting on `npm start` and for
 * process managers' probes.
 *
 * @example
 * router.add('GET', '/health', healthRoute(() => pipeline.health()));
 */
export function healthRoute(readHealth: () => RuntimeHealth): RouteHandler {
  return async (_request, response) => {
    const health = readHealth();
    sendJson(response, healthStatusCode(health), health, { 'cache-control': 'no-store' });
  };
}
