import type { FuzzCase, RawResponse } from './FuzzCase.js';
import { jsonBodyOf } from './FuzzCase.js';
import type { Fuzzer } from './Fuzzer.js';
import { absurdParameterValue } from './weirdValues.js';

/** The metrics a query may name: name, windows, and whether it groups. */
export interface QueryFuzzMetric {
  name: string;
  windows: readonly string[];
  groupBy: readonly string[];
}

interface Route {
  path: string;
  /** Parameters the route accepts; empty for routes that take none. */
  accepted: readonly string[];
  /** Routes that ignore their query string answer 200 whatever it holds. */
  ignoresQuery: boolean;
}

const ROUTES: readonly Route[] = [
  { path: '/api/metrics', accepted: [], ignoresQuery: false },
  { path: '/api/groups', accepted: ['metric', 'window', 'since', 'until'], ignoresQuery: false },
  {
    path: '/api/series',
    accepted: ['metric', 'group', 'window', 'since', 'until', 'limit', 'cursor'],
    ignoresQuery: false,
  },
  {
    path: '/api/top',
    accepted: ['metric', 'window', 'since', 'until', 'by', 'limit'],
    ignoresQuery: false,
  },
  { path: '/api/health', accepted: [], ignoresQuery: true },
  { path: '/health', accepted: [], ignoresQuery: true },
];

/** Percent-encodes UTF-8 bytes, leaving only unreserved characters as they are. */
export function encodeComponent(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9._~-]/.test(char)
      ? char
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A parameter as it appears in the query string: encoded, or raw text meant to be odd. */
type Pair = readonly [name: string, value: string | undefined];

function queryString(pairs: readonly Pair[]): string {
  return pairs.map(([name, value]) => (value === undefined ? name : `${name}=${value}`)).join('&');
}

/** Valid parameters of `route` for one metric. */
function validPairs(fuzz: Fuzzer, route: Route, metric: QueryFuzzMetric): Pair[] {
  if (!route.accepted.includes('metric')) return [];
  const pairs: Pair[] = [['metric', metric.name]];
  if (fuzz.chance(0.7)) pairs.push(['window', fuzz.pick(metric.windows)]);
  if (fuzz.chance(0.7)) pairs.push(['since', fuzz.pick(['15m', '1h', '6h'])]);
  if (fuzz.chance(0.3)) pairs.push(['until', fuzz.pick(['1m', '0m'])]);
  if (route.accepted.includes('limit') && fuzz.chance(0.5))
    pairs.push(['limit', String(fuzz.int(1, 100))]);
  if (route.accepted.includes('by') && fuzz.chance(0.5)) pairs.push(['by', 'count']);
  if (route.accepted.includes('group') && fuzz.chance(0.3)) pairs.push(['group', '*']);
  return pairs;
}

/** The parameter names URLSearchParams reads from a query string, decoded as the server decodes them. */
function decodedNames(query: string): string[] {
  // URLSearchParams drops one leading `?`, as the server's URL parser does with the separator.
  return [...new URLSearchParams(`?${query}`).keys()];
}

/**
 * The problems of a query API answer: 5xx (but a 503 with `Retry-After`), a
 * body that is not JSON, a 4xx without `error` and a `message` naming the
 * parameter (`mentions`), the path (404) or the method (405).
 */
function checkQueryAnswer(
  response: RawResponse,
  method: string,
  query: string,
  mentions: string | undefined,
): string[] {
  if (response.status >= 500) {
    return response.status === 503 && response.headers['retry-after'] !== undefined
      ? []
      : [`status ${response.status}: ${response.body.toString('utf8').slice(0, 300)}`];
  }
  // A HEAD answer carries no body to check.
  if (method === 'HEAD') return response.status < 500 ? [] : [`status ${response.status}`];
  const body = jsonBodyOf(response) as Record<string, unknown> | undefined;
  if (typeof body !== 'object' || body === null)
    return [`status ${response.status} without a JSON body`];
  if (response.status < 400) return [];
  const { error, message } = body;
  if (typeof error !== 'string' || error.length === 0)
    return [`${response.status} without an error code`];
  if (typeof message !== 'string' || message.length === 0)
    return [`${response.status} without a message`];
  if (response.status === 405)
    return message.includes(method) ? [] : ['405 message does not name the method'];
  if (error === 'not_found')
    return message.includes('no route') ? [] : ['404 message does not name the path'];
  // A refused parameter: the message starts with its name (or since/until for the range).
  const named = /^([^:]*): /.exec(message)?.[1];
  const known = new Set([...decodedNames(query), 'metric', 'since/until']);
  if (named === undefined || !known.has(named)) {
    return [`message names no parameter of the request: ${JSON.stringify(message.slice(0, 200))}`];
  }
  if (mentions !== undefined && !message.includes(mentions)) {
    return [
      `message does not mention ${JSON.stringify(mentions)}: ${JSON.stringify(message.slice(0, 200))}`,
    ];
  }
  return [];
}

/**
 * A query API call, valid but for one thing: a parameter's value (absurd
 * numbers and durations, `%00`, lone surrogates, long strings), an unknown
 * or repeated parameter, a missing `metric`, junk in the query string, the
 * method, the path, or a very long URL.
 */
export function queryCase(fuzz: Fuzzer, metrics: readonly QueryFuzzMetric[]): FuzzCase {
  const route = fuzz.pick(ROUTES);
  const metric = fuzz.pick(metrics);
  const pairs = validPairs(fuzz, route, metric);
  let method = 'GET';
  let path = route.path;
  let mutation: string;
  let mentions: string | undefined;
  const kind = fuzz.pick([
    'value',
    'value',
    'value',
    'unknown',
    'repeat',
    'drop',
    'bare',
    'junk',
    'method',
    'path',
    'long',
  ]);
  switch (kind) {
    case 'value': {
      const name = route.accepted.length > 0 ? fuzz.pick(route.accepted) : 'since';
      const value = fuzz.chance(0.15)
        ? fuzz.pick(['%00', '%ED%A0%80', '%FF', '%C0%80', '%', '%zz', '+', '%2B1'])
        : encodeComponent(absurdParameterValue(fuzz));
      const at = pairs.findIndex(([n]) => n === name);
      if (at === -1) pairs.push([name, value]);
      else pairs[at] = [name, value];
      mutation = `${name}=${value.slice(0, 60)}`;
      mentions = route.ignoresQuery ? undefined : name;
      break;
    }
    case 'unknown': {
      const name = encodeComponent(
        fuzz.pick([
          'Metric',
          'metrics',
          'limt',
          '__proto__',
          'constructor',
          'hasOwnProperty',
          '\u0000',
          '\ud800',
          'x'.repeat(300),
          'a b',
          '',
        ]),
      );
      pairs.splice(fuzz.int(0, pairs.length), 0, [
        name,
        encodeComponent(absurdParameterValue(fuzz)),
      ]);
      mutation = `unknown parameter ${name.slice(0, 60)}`;
      mentions = route.ignoresQuery ? undefined : decodedNames(`${name}=`)[0];
      break;
    }
    case 'repeat': {
      const [name, value] = pairs.length > 0 ? fuzz.pick(pairs) : (['since', '1h'] as const);
      pairs.push([name, fuzz.chance(0.5) ? value : encodeComponent(absurdParameterValue(fuzz))]);
      mutation = `${name} twice`;
      mentions = route.ignoresQuery ? undefined : name;
      break;
    }
    case 'drop': {
      const removed = pairs.shift();
      mutation = `${removed?.[0] ?? 'nothing'} dropped`;
      mentions = route.ignoresQuery || removed === undefined ? undefined : removed[0];
      break;
    }
    case 'bare': {
      const name = route.accepted.length > 0 ? fuzz.pick(route.accepted) : 'limit';
      const at = pairs.findIndex(([n]) => n === name);
      if (at !== -1) pairs.splice(at, 1);
      pairs.push([name, undefined]);
      mutation = `${name} without a value`;
      mentions = route.ignoresQuery ? undefined : name;
      break;
    }
    case 'junk': {
      const junk = fuzz.pick([
        '&&&',
        '?',
        '=',
        '==',
        '%',
        '%zz',
        '%E0%A4%A',
        '+',
        ';',
        '&=&',
        'a=%00%00',
        '%26=%3D',
      ]);
      pairs.splice(fuzz.int(0, pairs.length), 0, [junk, undefined]);
      mutation = `junk ${junk}`;
      break;
    }
    case 'method': {
      method = fuzz.pick(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE']);
      mutation = `method ${method}`;
      break;
    }
    case 'path': {
      path = fuzz.pick([
        `${route.path}/`,
        route.path.toUpperCase(),
        `${route.path}%00`,
        route.path.replace('/api/', '/api//'),
        route.path.replace('/api/', '/api/./'),
        route.path.replace('/api/', '/api/x/../'),
        `${route.path}%2F..%2Fhealth`,
        `/api/${encodeComponent(absurdParameterValue(fuzz))}`,
        `${route.path}/${'a'.repeat(2_000)}`,
      ]);
      mutation = `path ${path.slice(0, 80)}`;
      break;
    }
    default: {
      // Under Node's 16 KiB header limit, so the request reaches the route.
      const length = fuzz.pick([1_100, 4_000, 9_000]);
      const name = route.accepted.length > 0 ? fuzz.pick(route.accepted) : 'group';
      const at = pairs.findIndex(([n]) => n === name);
      if (at !== -1) pairs.splice(at, 1);
      const unit = encodeComponent(fuzz.pick(['x', 'é', '%', '\ud800']));
      pairs.push([name, unit.repeat(Math.floor(length / unit.length))]);
      mutation = `${name} of ${length} characters`;
      mentions = route.ignoresQuery ? undefined : name;
    }
  }
  const query = queryString(pairs);
  return {
    category: 'query/structured',
    mutation,
    target: 'http',
    request: { method, path: query === '' ? path : `${path}?${query}`, headers: [] },
    check: (response) => checkQueryAnswer(response, method, query, mentions),
  };
}
