/** Charsets that name UTF-8, the only encoding JSON may travel in between systems (RFC 8259). */
const UTF8_CHARSETS = new Set(['utf-8', 'utf8']);

/**
 * Checks that a `Content-Type` header announces JSON: `application/json`, with
 * parameters allowed, and a `charset` parameter, if present, naming UTF-8.
 *
 * @returns why the header is not acceptable, or `undefined` when it is
 * @example
 * checkJsonContentType('application/json; charset=utf-8'); // undefined
 * checkJsonContentType('text/plain'); // 'Content-Type must be application/json (given "text/plain")'
 */
export function checkJsonContentType(header: string | undefined): string | undefined {
  if (header === undefined || header.trim() === '') {
    return 'Content-Type must be application/json (given none)';
  }
  const [mediaType = '', ...parameters] = header.split(';').map((part) => part.trim());
  if (mediaType.toLowerCase() !== 'application/json') {
    return `Content-Type must be application/json (given ${JSON.stringify(header)})`;
  }
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=').map((part) => part.trim());
    if (name.toLowerCase() !== 'charset') continue;
    const charset = value.replace(/^"(.*)"$/, '$1').toLowerCase();
    if (!UTF8_CHARSETS.has(charset)) {
      return `Content-Type charset must be utf-8 (given ${JSON.stringify(header)})`;
    }
  }
  return undefined;
}
