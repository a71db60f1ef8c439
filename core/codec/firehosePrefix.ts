import { randomBytes } from 'node:crypto';
import {
  type CompiledDatePattern,
  compileJavaDatePattern,
  JavaDatePatternError,
} from './javaDatePattern.js';

/**
 * Which of a delivery stream's two prefix settings an expression is, in the
 * Firehose API's words: the rules differ between them.
 */
export type FirehosePrefixField = 'Prefix' | 'ErrorOutputPrefix';

/** One piece of a parsed prefix expression, with where it starts in the prefix. */
export type FirehosePrefixPart =
  | { kind: 'literal'; index: number; text: string }
  | { kind: 'timestamp'; index: number; pattern: string; compiled: CompiledDatePattern }
  | { kind: 'firehose'; index: number; key: 'random-string' | 'error-output-type' };

/** What `!{firehose:...}` expressions evaluate to; random strings are drawn when not given. */
export interface FirehosePrefixValues {
  /** Every `!{firehose:random-string}` gets this instead of a new random string (for tests). */
  randomString?: string;
  /** @default 'processing-failed' */
  errorOutputType?: string;
}

/** A prefix expression Firehose would refuse; the message quotes the rule it breaks. */
export class FirehosePrefixError extends Error {
  public constructor(
    public readonly prefix: string,
    problem: string,
  ) {
    super(problem);
    this.name = 'FirehosePrefixError';
  }
}

/**
 * The rules, quoted from the Amazon Data Firehose Developer Guide, "Understand
 * custom prefixes for Amazon S3 objects".
 */
export const FIREHOSE_PREFIX_RULES = {
  namespaces:
    '"You can use expressions of the following forms in your custom prefix: !{namespace:value}, where namespace can be one of the following": firehose, timestamp, partitionKeyFromQuery, partitionKeyFromLambda',
  sequence: '"The sequence !{ can only appear in !{namespace:value} expressions."',
  timestampValues:
    '"Valid values for this namespace are strings that are valid Java DateTimeFormatter strings."',
  firehoseValues:
    '"There are two values that you can use with this namespace: error-output-type and random-string."',
  defaultTimestamp:
    '"If you specify a prefix that doesn\'t contain a timestamp namespace expression, Firehose appends the expression !{timestamp:yyyy/MM/dd/HH/} to the value in the Prefix field."',
  errorOutputTypeRequired:
    '"If you specify an expression for ErrorOutputPrefix, you must include at least one instance of !{firehose:error-output-type}."',
  errorOutputTypeInPrefix: '"Prefix can\'t contain !{firehose:error-output-type}."',
  maxLength:
    '"Neither Prefix nor ErrorOutputPrefix can be greater than 512 characters after they\'re evaluated."',
} as const;

/** Characters a prefix may have once evaluated. */
export const MAX_EVALUATED_PREFIX_CHARS = 512;

/** What Firehose appends to a `Prefix` without a timestamp expression. */
export const DEFAULT_TIMESTAMP_EXPRESSION = '!{timestamp:yyyy/MM/dd/HH/}';

/** Longest `!{firehose:error-output-type}` value Firehose documents: format-conversion-failed. */
const MAX_ERROR_OUTPUT_TYPE_CHARS = 'format-conversion-failed'.length;

/** `!{firehose:random-string}` evaluates to 11 characters. */
const RANDOM_STRING_CHARS = 11;

/**
 * Reads a prefix expression into literal text and `!{namespace:value}`
 * expressions, refusing what Firehose refuses.
 *
 * The dynamic-partitioning namespaces (`partitionKeyFromQuery`,
 * `partitionKeyFromLambda`) are refused too: streamfold's delivery streams do
 * not enable dynamic partitioning, without which Firehose rejects them.
 *
 * @throws {FirehosePrefixError} quoting the rule an expression breaks
 * @example
 * parseFirehosePrefix('events/!{timestamp:yyyy}/'); // literal 'events/', timestamp 'yyyy', literal '/'
 */
export function parseFirehosePrefix(prefix: string): FirehosePrefixPart[] {
  const parts: FirehosePrefixPart[] = [];
  let pos = 0;
  while (pos < prefix.length) {
    const start = prefix.indexOf('!{', pos);
    if (start === -1) {
      parts.push({ kind: 'literal', index: pos, text: prefix.slice(pos) });
      break;
    }
    if (start > pos) parts.push({ kind: 'literal', index: pos, text: prefix.slice(pos, start) });
    const end = prefix.indexOf('}', start);
    const expression = end === -1 ? prefix.slice(start) : prefix.slice(start, end + 1);
    const match = end === -1 ? null : /^!\{([^:{}]*):([^{}]*)\}$/.exec(expression);
    if (!match) {
      throw new FirehosePrefixError(
        prefix,
        `"${expression}" is not a !{namespace:value} expression: ${FIREHOSE_PREFIX_RULES.sequence}`,
      );
    }
    parts.push(parseExpression(prefix, expression, start, match[1] ?? '', match[2] ?? ''));
    pos = end + 1;
  }
  return parts;
}

function parseExpression(
  prefix: string,
  expression: string,
  index: number,
  namespace: string,
  value: string,
): FirehosePrefixPart {
  switch (namespace) {
    case 'timestamp':
      try {
        return {
          kind: 'timestamp',
          index,
          pattern: value,
          compiled: compileJavaDatePattern(value),
        };
      } catch (error) {
        if (!(error instanceof JavaDatePatternError)) throw error;
        throw new FirehosePrefixError(
          prefix,
          `${expression}: ${error.message}; ${FIREHOSE_PREFIX_RULES.timestampValues}`,
        );
      }
    case 'firehose':
      if (value === 'random-string' || value === 'error-output-type') {
        return { kind: 'firehose', index, key: value };
      }
      throw new FirehosePrefixError(
        prefix,
        `${expression}: unknown firehose value "${value}"; ${FIREHOSE_PREFIX_RULES.firehoseValues}`,
      );
    case 'partitionKeyFromQuery':
    case 'partitionKeyFromLambda':
      throw new FirehosePrefixError(
        prefix,
        `${expression}: the ${namespace} namespace needs dynamic partitioning, which streamfold's delivery streams do not enable`,
      );
    default:
      throw new FirehosePrefixError(
        prefix,
        `${expression}: unknown namespace "${namespace}"; ${FIREHOSE_PREFIX_RULES.namespaces}`,
      );
  }
}

/**
 * Every rule of the Firehose documentation a `Prefix` or `ErrorOutputPrefix`
 * breaks, each quoting the rule; empty when Firehose would accept it.
 *
 * @example
 * firehosePrefixProblems('events/!{firehose:error-output-type}/', 'Prefix');
 * // ['Prefix can\'t contain !{firehose:error-output-type}: "Prefix can\'t contain ..."']
 */
export function firehosePrefixProblems(prefix: string, field: FirehosePrefixField): string[] {
  let parts: FirehosePrefixPart[];
  try {
    parts = parseFirehosePrefix(prefix);
  } catch (error) {
    if (error instanceof FirehosePrefixError) return [error.message];
    throw error;
  }
  const problems: string[] = [];
  const hasErrorOutputType = parts.some(
    (part) => part.kind === 'firehose' && part.key === 'error-output-type',
  );
  if (field === 'Prefix' && hasErrorOutputType) {
    problems.push(
      `!{firehose:error-output-type} is for ErrorOutputPrefix only: ${FIREHOSE_PREFIX_RULES.errorOutputTypeInPrefix}`,
    );
  }
  if (
    field === 'ErrorOutputPrefix' &&
    parts.some((part) => part.kind !== 'literal') &&
    !hasErrorOutputType
  ) {
    problems.push(
      `has expressions but no !{firehose:error-output-type}: ${FIREHOSE_PREFIX_RULES.errorOutputTypeRequired}`,
    );
  }
  const resolved = field === 'Prefix' ? withDefaultTimestamp(prefix, parts) : parts;
  const longest = resolved.reduce((sum, part) => sum + maxLengthOf(part), 0);
  if (longest > MAX_EVALUATED_PREFIX_CHARS) {
    problems.push(
      `evaluates to up to ${longest} characters, over ${MAX_EVALUATED_PREFIX_CHARS}: ${FIREHOSE_PREFIX_RULES.maxLength}`,
    );
  }
  return problems;
}

function maxLengthOf(part: FirehosePrefixPart): number {
  if (part.kind === 'literal') return part.text.length;
  if (part.kind === 'timestamp') return part.compiled.maxLength;
  return part.key === 'random-string' ? RANDOM_STRING_CHARS : MAX_ERROR_OUTPUT_TYPE_CHARS;
}

/**
 * The parts Firehose evaluates for a `Prefix`: those given, and the default
 * `!{timestamp:yyyy/MM/dd/HH/}` after them when none is a timestamp expression.
 */
function withDefaultTimestamp(prefix: string, parts: FirehosePrefixPart[]): FirehosePrefixPart[] {
  if (parts.some((part) => part.kind === 'timestamp')) return parts;
  const appended = parseFirehosePrefix(DEFAULT_TIMESTAMP_EXPRESSION).map((part) => ({
    ...part,
    index: part.index + prefix.length,
  }));
  return [...parts, ...appended];
}

/**
 * The prefix expression Firehose evaluates for a setting: a `Prefix` without
 * a timestamp expression gets `!{timestamp:yyyy/MM/dd/HH/}` appended, an
 * `ErrorOutputPrefix` is evaluated as given.
 *
 * @throws {FirehosePrefixError} when the prefix is not a valid expression
 * @example
 * resolveFirehosePrefix('direct/'); // 'direct/!{timestamp:yyyy/MM/dd/HH/}'
 */
export function resolveFirehosePrefix(
  prefix: string,
  field: FirehosePrefixField = 'Prefix',
): string {
  const parts = parseFirehosePrefix(prefix);
  return field === 'Prefix' && !parts.some((part) => part.kind === 'timestamp')
    ? `${prefix}${DEFAULT_TIMESTAMP_EXPRESSION}`
    : prefix;
}

/**
 * Evaluates the expressions of a prefix exactly as written, for one moment in
 * UTC; no default timestamp is appended (see {@link expandFirehosePrefix}).
 * Every timestamp expression evaluates the same instant, every
 * `!{firehose:error-output-type}` the same error type, and every
 * `!{firehose:random-string}` a new 11-character string.
 *
 * @throws {FirehosePrefixError} when the prefix is not a valid expression
 * @example
 * evaluateFirehosePrefix("!{timestamp:'year='yyyy}/", new Date('2026-11-29T10:00:00Z')); // 'year=2026/'
 */
export function evaluateFirehosePrefix(
  prefix: string,
  time: Date,
  values: FirehosePrefixValues = {},
): string {
  return parseFirehosePrefix(prefix)
    .map((part) => {
      if (part.kind === 'literal') return part.text;
      if (part.kind === 'timestamp') return part.compiled.format(time);
      if (part.key === 'error-output-type') return values.errorOutputType ?? 'processing-failed';
      return values.randomString ?? randomString();
    })
    .join('');
}

function randomString(): string {
  // 6 random bytes give 12 hex digits; Firehose's random strings are 11 characters.
  return randomBytes(6).toString('hex').slice(0, RANDOM_STRING_CHARS);
}

/**
 * Expands a Firehose S3 prefix setting for one moment (UTC) as Firehose does:
 * the default `yyyy/MM/dd/HH/` appended to a `Prefix` without a timestamp
 * expression, then every expression evaluated.
 *
 * @throws {FirehosePrefixError} when the prefix is not a valid expression
 * @example
 * expandFirehosePrefix('events/year=!{timestamp:yyyy}/', new Date('2026-11-22T10:00:00Z')); // 'events/year=2026/'
 * expandFirehosePrefix('direct/', new Date('2026-11-29T10:00:00Z')); // 'direct/2026/11/29/10/'
 */
export function expandFirehosePrefix(
  prefix: string,
  time: Date,
  values: FirehosePrefixValues & { field?: FirehosePrefixField } = {},
): string {
  return evaluateFirehosePrefix(resolveFirehosePrefix(prefix, values.field), time, values);
}

/**
 * The static folder of a Firehose prefix expression: everything up to the last
 * `/` before the first `!{...}` expression (the whole prefix when it has none,
 * which is also where a `Prefix`'s default `yyyy/MM/dd/HH/` folders start).
 *
 * @example
 * staticRootOf('events/year=!{timestamp:yyyy}/'); // 'events/'
 */
export function staticRootOf(prefix: string): string {
  const first = prefix.indexOf('!{');
  return first === -1 ? prefix : prefix.slice(0, prefix.lastIndexOf('/', first) + 1);
}
