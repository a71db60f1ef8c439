/**
 * Expands a Firehose S3 prefix expression for one moment (UTC):
 * `!{timestamp:yyyy}` and the Java date patterns yyyy, MM, dd, HH, mm, ss
 * inside it, `!{firehose:random-string}` and `!{firehose:error-output-type}`.
 *
 * @example
 * expandFirehosePrefix('events/year=!{timestamp:yyyy}/', new Date('2026-11-22T10:00:00Z')); // 'events/year=2026/'
 */
export function expandFirehosePrefix(
  prefix: string,
  time: Date,
  values: { randomString?: string; errorOutputType?: string } = {},
): string {
  return prefix.replace(
    /!\{(timestamp|firehose):([^}]+)\}/g,
    (whole, namespace: string, key: string) => {
      if (namespace === 'timestamp') return formatUtc(key, time);
      if (key === 'random-string')
        return values.randomString ?? Math.random().toString(36).slice(2, 13);
      if (key === 'error-output-type') return values.errorOutputType ?? 'processing-failed';
      throw new Error(`unsupported Firehose prefix expression ${whole}`);
    },
  );
}

function formatUtc(pattern: string, time: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const parts: Record<string, string> = {
    yyyy: String(time.getUTCFullYear()),
    MM: two(time.getUTCMonth() + 1),
    dd: two(time.getUTCDate()),
    HH: two(time.getUTCHours()),
    mm: two(time.getUTCMinutes()),
    ss: two(time.getUTCSeconds()),
  };
  return pattern.replace(/yyyy|MM|dd|HH|mm|ss/g, (token) => parts[token] ?? token);
}

const FIRST_EXPRESSION = /!\{[a-z]+:[^}]*\}/;

/**
 * The static folder of a Firehose prefix expression: everything up to the last
 * `/` before the first `!{...}` expression (the whole prefix when it has none).
 *
 * @example
 * staticRootOf('events/year=!{timestamp:yyyy}/'); // 'events/'
 */
export function staticRootOf(prefix: string): string {
  const first = FIRST_EXPRESSION.exec(prefix);
  return first ? prefix.slice(0, prefix.lastIndexOf('/', first.index) + 1) : prefix;
}
