import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './sendJson.js';

/** How long a browser may cache a preflight answer, seconds. */
const PREFLIGHT_MAX_AGE_S = 600;

/** Options of {@link HttpRouter}. */
export interface HttpRouterOptions {
  /**
   * Origins of web pages allowed to call the routes from a browser (CORS).
   * @default - none
   */
  allowOrigins?: readonly string[];
}

/** Handles one request; it writes the response itself. */
export type RouteHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/**
 * Maps method + path to a handler, so the ingest endpoint, the query API and
 * the dashboard share one local port. Paths match exactly (the query string is
 * ignored); a path no route matches exactly goes to the route with the longest
 * matching prefix added by {@link HttpRouter.addPrefix}, if any. An unknown path gets 404; a known path with another method gets 405
 * with an `Allow` header. A handler that throws gets a 500 and `onError`.
 * Browsers on `allowOrigins` get CORS headers, and their preflight `OPTIONS`
 * requests are answered for every method a path has.
 *
 * @example
 * const router = new HttpRouter().add('GET', '/health', healthRoute);
 * http.createServer((request, response) => void router.handle(request, response));
 */
export class HttpRouter {
  readonly #routes = new Map<string, Map<string, RouteHandler>>();
  readonly #prefixes = new Map<string, Map<string, RouteHandler>>();
  readonly #allowOrigins: ReadonlySet<string>;

  public constructor(options: HttpRouterOptions = {}) {
    this.#allowOrigins = new Set(options.allowOrigins ?? []);
  }

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

  /**
   * Adds a route for every path under `prefix` (a folder of static files, for
   * example). The handler reads the rest of the path from the request itself.
   *
   * @throws {Error} when the prefix does not start and end with `/` or the route exists already
   */
  public addPrefix(method: string, prefix: string, handler: RouteHandler): this {
    if (!prefix.startsWith('/') || !prefix.endsWith('/')) {
      throw new Error(`route prefix must start and end with "/" (given "${prefix}")`);
    }
    const verb = method.toUpperCase();
    const methods = this.#prefixes.get(prefix) ?? new Map<string, RouteHandler>();
    if (methods.has(verb)) throw new Error(`route ${verb} ${prefix}* is already defined`);
    methods.set(verb, handler);
    this.#prefixes.set(prefix, methods);
    return this;
  }

  /** The routes of the longest prefix of `path`, if any. */
  #prefixRoutes(path: string): Map<string, RouteHandler> | undefined {
    let best: string | undefined;
    for (const prefix of this.#prefixes.keys()) {
      if (path.startsWith(prefix) && prefix.length > (best?.length ?? 0)) best = prefix;
    }
    return best === undefined ? undefined : this.#prefixes.get(best);
  }

  /** Dispatches a request. Never rejects: failures become 500 responses and `onError` calls. */
  public async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const methods = this.#routes.get(path) ?? this.#prefixRoutes(path);
    const origin = request.headers.origin;
    const corsAllowed = origin !== undefined && this.#allowOrigins.has(origin);
    if (corsAllowed) {
      response.setHeader('access-control-allow-origin', origin);
      response.setHeader('vary', 'origin');
    }
    if (methods && corsAllowed && method === 'OPTIONS' && !methods.has('OPTIONS')) {
      response.writeHead(204, {
        'access-control-allow-methods': [...methods.keys()].join(', '),
        // Whatever the page asks for (content-type, SigV4 headers): the origin is trusted.
        'access-control-allow-headers': request.headers['access-control-request-headers'] ?? '',
        'access-control-max-age': String(PREFLIGHT_MAX_AGE_S),
      });
      response.end();
      return;
    }
    if (!methods) {
      sendJson(response, 404, { error: 'not_found', message: `no route for ${method} ${path}` });
      return;
    }
    // HEAD is GET without the body (RFC 9110 9.3.2); Node leaves the body out of a HEAD answer.
    const handler = methods.get(method) ?? (method === 'HEAD' ? methods.get('GET') : undefined);
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
