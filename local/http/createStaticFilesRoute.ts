import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, relative, sep } from 'node:path';
import type { RouteHandler } from './HttpRouter.js';
import { resolveStaticPath } from './resolveStaticPath.js';
import { sendJson } from './sendJson.js';

/**
 * Content types of the files a static route serves, by extension. Files with
 * other extensions are not served at all, so nothing unexpected (a `.ts`
 * source, a dotfile) leaks from a folder.
 */
export const STATIC_CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** What {@link createStaticFilesRoute} serves. */
export type StaticFilesSource =
  /** Every file under `root` whose URL path starts with `urlPrefix` (which ends with `/`). */
  | { root: string; urlPrefix: string }
  /** One file, whatever the URL path. */
  | { file: string };

/**
 * A route serving static files: the content type from the extension, a
 * length, `no-cache` (the browser revalidates, so an edited file shows on
 * reload) and `nosniff`. A path that could leave the folder, an unknown
 * extension, a missing file, a folder or a symbolic link pointing outside the
 * folder all get the same 404, so the answer reveals nothing about the disk.
 *
 * @example
 * router.addPrefix('GET', '/dashboard/', createStaticFilesRoute({ root: dir, urlPrefix: '/dashboard/' }));
 */
export function createStaticFilesRoute(source: StaticFilesSource): RouteHandler {
  return async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const file = await locate(source, path);
    const type = file === undefined ? undefined : STATIC_CONTENT_TYPES[extname(file).toLowerCase()];
    const body = file === undefined || type === undefined ? undefined : await readRegularFile(file);
    if (body === undefined || type === undefined) {
      sendJson(response, 404, { error: 'not_found', message: `no file at ${path}` });
      return;
    }
    response.writeHead(200, {
      'content-type': type,
      'content-length': body.length,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    response.end(body);
  };
}

/** The file a request path names, after following symbolic links, if it stays inside the root. */
async function locate(source: StaticFilesSource, path: string): Promise<string | undefined> {
  if ('file' in source) return source.file;
  if (!path.startsWith(source.urlPrefix)) return undefined;
  const file = resolveStaticPath(source.root, path.slice(source.urlPrefix.length));
  if (file === undefined) return undefined;
  try {
    const [realRoot, realFile] = await Promise.all([realpath(source.root), realpath(file)]);
    const inside = relative(realRoot, realFile);
    return inside.startsWith(`..${sep}`) || inside === '..' || inside === '' ? undefined : realFile;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/** The bytes of `file`, or `undefined` when it does not exist or is not a regular file. */
async function readRegularFile(file: string): Promise<Buffer | undefined> {
  try {
    if (!(await stat(file)).isFile()) return undefined;
    return await readFile(file);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/** Errors that mean "no such file here": a name too long for the disk cannot name a file either. */
function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG';
}
