import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './sendJson.js';

/** Handles one request; it writes the response itself. */
export type RouteHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/**
 * Maps method + path to a handler, so the ingest endpoint, the query API and
 * the dashboard share one local port. Paths match exactly (the query string is
 * ignored). An unknown path gets 404; a known path with another method gets 405
 * with an `Allow` header. A handler that throws gets a 500 and `onError`.
 *
 * @example
 * const router = new HttpRouter().add('GET', '/health', healthRoute);
 * http.createServer((request, response) => void router.handle(request, response));
 */
export class HttpRouter {
  readonly #routes = new Map<string, Map<string, RouteHandler>>();

  /** Told about every error a handler threw. */
  public onError: (error: unknown, request: IncomingMessage) => void = () => undefined;

  /**
   * Adds a route.
   *
   * @throws {Error} when the path does not start with `/` or the route exists already
   */
  public add(method: string, path: string, handler: RouteHandler): this {
    if (!path.startsWith('/')) throw new Error(`route path must start with "/" (given "${path}")`);
    const verb = method.toUpperCase();
    const methods = this.#routes.get(path) ?? new Map<string, RouteHandler>();
    if (methods.has(verb)) throw new Error(`route ${verb} ${path} is already defined`);
    methods.set(verb, handler);
    this.#routes.set(path, methods);
    return this;
  }

  /** Dispatches a request. Never rejects: failures become 500 responses and `onError` calls. */
  public async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const methods = this.#routes.get(path);
    if (!methods) {
      sendJson(response, 404, { error: 'not_found', message: `no route for ${method} ${path}` });
      return;
    }
    const handler = methods.get(method);
    if (!handler) {
      const allowed = [...methods.keys()].join(', ');
      sendJson(
        response,
        405,
        {
          error: 'method_not_allowed',
          message: `${path} accepts ${allowed} (given ${method})`,
        },
        { allow: allowed },
      );
      return;
    }
    try {
      await handler(request, response);
    } catch (error) {
      this.onError(error, request);
      if (!response.headersSent) {
        sendJson(response, 500, {
          error: 'internal_error',
          message: `${method} ${path} failed; see the server log`,
        });
      } else {
        // Part of a response is out; cutting the connection is the only honest signal left.
        response.destroy();
      }
    }
  }
}
