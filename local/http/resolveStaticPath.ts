import { isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * Maps the part of a URL path below a static folder (`app.js`, `css/site.css`,
 * still percent-encoded) to a file path inside `root`, or `undefined` when the
 * path could leave `root` or is not a plain file name: `..` and `.` segments
 * (encoded too), backslashes, NUL bytes, empty segments, malformed percent
 * escapes. Symbolic links are checked by the caller, which opens the file.
 *
 * @example
 * resolveStaticPath('/srv/dashboard', 'app.js'); // '/srv/dashboard/app.js'
 * resolveStaticPath('/srv/dashboard', '..%2fpackage.json'); // undefined
 */
export function resolveStaticPath(root: string, encodedPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(encodedPath);
  } catch {
    // A malformed escape names no file; the caller answers 404 like any other unknown path.
    return undefined;
  }
  if (decoded.length === 0 || decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return undefined;
  }
  const base = resolve(root);
  const file = resolve(base, ...segments);
  // Belt and braces: whatever slipped through above must still land inside root.
  const inside = relative(base, file);
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) {
    return undefined;
  }
  return file;
}
