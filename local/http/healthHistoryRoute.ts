import type { PipelineHealthHistory } from '../PipelineHealthHistory.js';
import type { RouteHandler } from './HttpRouter.js';
import { sendJson } from './sendJson.js';

/**
 * `GET /api/health/history`: the pipeline's health over the last minutes, one
 * sample per interval (see {@link PipelineHealthHistory}), for the
 * dashboard's health charts. Never cached: it changes every second.
 *
 * @example
 * router.add('GET', '/api/health/history', healthHistoryRoute(history));
 */
export function healthHistoryRoute(history: Pick<PipelineHealthHistory, 'answer'>): RouteHandler {
  return async (_request, response) => {
    sendJson(response, 200, history.answer(), { 'cache-control': 'no-store' });
  };
}
