import type { RouteHandler } from './HttpRouter.js';
import { sendJson } from './sendJson.js';

/** `GET /health`: 200 while the server is up, for scripts waiting on `npm start`. */
export const healthRoute: RouteHandler = async (_request, response) => {
  sendJson(response, 200, { status: 'ok' });
};
