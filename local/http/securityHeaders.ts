/**
 * Headers the local HTTP server sends on every response. The content policy
 * lets a JSON answer load nothing and be framed by nothing; `nosniff` keeps a
 * browser from running one as a script; `DENY` does for old browsers what
 * `frame-ancestors` does for new ones (no clickjacking of the dashboard); no
 * referrer, so the dashboard's URLs never leave the machine in a link.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/**
 * The content policy of the dashboard page: its module script, its styles,
 * uPlot's script and styles and its `fetch` calls to the query API all come
 * from this server, and it has no inline script or style. `data:` images only
 * for the page's empty icon (`<link rel="icon" href="data:,">`, which keeps
 * the browser from asking for `/favicon.ico`). uPlot sets element styles
 * through the DOM, which a policy without `'unsafe-inline'` allows.
 */
export const DASHBOARD_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
