import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStaticFilesRoute } from './createStaticFilesRoute.js';
import type { HttpRouter } from './HttpRouter.js';

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
 * The page reads the query API (`/api/...`) on the same origin.
 */
export function mountDashboard(router: HttpRouter): HttpRouter {
  return router
    .add('GET', '/', createStaticFilesRoute({ file: join(DASHBOARD_DIR, 'index.html') }))
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
