import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStaticFilesRoute } from './createStaticFilesRoute.js';
import type { HttpRouter, RouteHandler } from './HttpRouter.js';
import { DASHBOARD_CONTENT_SECURITY_POLICY } from './securityHeaders.js';

/** The folder of the dashboard's static files (`index.html`, `app.js`, `style.css`). */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/', import.meta.url));

/**
 * The folder of uPlot's browser builds, found through Node's resolution so it
 * works wherever npm placed the package; served locally because the machine
 * may be offline.
 */
export const UPLOT_DIST_DIR = dirname(createRequire(import.meta.url).resolve('uplot'));

/**
 * Adds the dashboard to a router: `GET /` (the page), `GET /dashboard/<file>`
 * (its script and styles) and `GET /vendor/uplot/<file>` (the chart library).
 * The page reads the query API (`/api/...`) on the same origin, and is sent
 * with {@link DASHBOARD_CONTENT_SECURITY_POLICY}.
 */
export function mountDashboard(router: HttpRouter): HttpRouter {
  return router
    .add(
      'GET',
      '/',
      withDashboardPolicy(createStaticFilesRoute({ file: join(DASHBOARD_DIR, 'index.html') })),
    )
    .addPrefix(
      'GET',
      '/dashboard/',
      createStaticFilesRoute({ root: DASHBOARD_DIR, urlPrefix: '/dashboard/' }),
    )
    .addPrefix(
      'GET',
      '/vendor/uplot/',
      createStaticFilesRoute({ root: UPLOT_DIST_DIR, urlPrefix: '/vendor/uplot/' }),
    );
}

/** `route` with the dashboard's content policy in place of the server's default one. */
function withDashboardPolicy(route: RouteHandler): RouteHandler {
  return (request, response) => {
    response.setHeader('content-security-policy', DASHBOARD_CONTENT_SECURITY_POLICY);
    return route(request, response);
  };
}
