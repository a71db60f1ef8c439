import { didYouMean } from '../../cli/didYouMean.js';
import type { StreamfoldConfig } from '../../core/config/configSchema.js';
import { QueryParameterError, UnknownMetricError } from '../../functions/query/errors.js';
import {
  parseGroupsParameters,
  parseSeriesParameters,
  parseTopParameters,
  TOP_ORDERS,
} from '../../functions/query/parseQueryParameters.js';
import { QueryArgsError } from './errors.js';
import type { QueryArgs } from './parseQueryArgs.js';

/**
 * Checks the query's parameters with the query API's own parsing, before any
 * request: a value the API would refuse with 400 `bad_parameter` (`--by summ`,
 * `--limit abc`, `--window 7m`, a range over the bucket limit) is a bad
 * argument of the command line, said naming the flag, with the value likely
 * meant for a flag that takes one of a list (`--by`, `--window`).
 *
 * @param nowMs the time the query will be answered at, for durations
 * @throws {QueryArgsError} naming the flag and the value
 * @example
 * checkQueryParameters(parseQueryArgs(['top', 'revenue', '--by', 'summ']), config, Date.now());
 * // throws: --by must be one of count, sum, avg, max (given "summ"; did you mean sum?)
 */
export function checkQueryParameters(
  args: QueryArgs,
  config: StreamfoldConfig,
  nowMs: number,
): void {
  try {
    if (args.subcommand === 'series') parseSeriesParameters(args.parameters, config, nowMs);
    else if (args.subcommand === 'top') parseTopParameters(args.parameters, config, nowMs);
    else if (args.subcommand === 'groups') parseGroupsParameters(args.parameters, config, nowMs);
  } catch (error) {
    if (error instanceof QueryParameterError) throw queryArgsErrorOf(error, args, config);
    if (error instanceof UnknownMetricError) {
      const names = config.metrics.map((metric) => metric.name);
      throw commandLineErrorOf(error.message, didYouMean(error.metric, names));
    }
    throw error;
  }
}

/** A refusal of the query API for a parameter, as a command-line error naming its flag. */
function queryArgsErrorOf(
  error: QueryParameterError,
  args: QueryArgs,
  config: StreamfoldConfig,
): QueryArgsError {
  const suggestion =
    error.value === undefined ? undefined : didYouMean(error.value, choicesOf(error, args, config));
  return commandLineErrorOf(error.message, suggestion === error.value ? undefined : suggestion);
}

/**
 * The query API's `name: detail` message (`by: must be one of …`,
 * `group: revenue has no group "DE"; …`) as the command line says it:
 * `--by must be one of …`, `--group: revenue has no group "DE"; …`, with
 * `suggestion` added to the closing `(given …)`.
 */
export function commandLineErrorOf(message: string, suggestion?: string): QueryArgsError {
  const match = /^([a-z]+)(?:\/[a-z]+)?: /.exec(message);
  // `metric` is the command's operand, not a flag: the API's name of it just goes.
  const flag = match === null || match[1] === 'metric' ? '' : `--${match[1]}`;
  const detail = match === null ? message : message.slice(match[0].length);
  const sentence =
    flag === '' ? detail : `${flag}${detail.startsWith('must ') ? ' ' : ': '}${detail}`;
  if (suggestion === undefined || !sentence.endsWith(')')) return new QueryArgsError(sentence);
  return new QueryArgsError(`${sentence.slice(0, -1)}; did you mean ${suggestion}?)`);
}

/** The values a flag that takes one of a list accepts; none for the others. */
function choicesOf(
  error: QueryParameterError,
  args: QueryArgs,
  config: StreamfoldConfig,
): readonly string[] {
  if (error.parameter === 'by') return TOP_ORDERS;
  if (error.parameter === 'window') {
    const metric = config.metrics.find((m) => m.name === args.parameters.get('metric'));
    return metric?.windows ?? [];
  }
  return [];
}
