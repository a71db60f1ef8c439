import { AGGREGATES_BY_METRIC_INDEX } from './aggregatesByMetricIndex.js';

/** Base class of the query API's errors; `status` is the HTTP status it answers with. */
export class QueryError extends Error {
  /** HTTP status of the response. */
  public readonly status: number;
  /** Machine-readable error code of the response body. */
  public readonly code: string;

  public constructor(status: number, code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'QueryError';
    this.status = status;
    this.code = code;
  }
}

/** A query parameter is missing, malformed or out of range (400). */
export class QueryParameterError extends QueryError {
  /** The parameter at fault. */
  public readonly parameter: string;
  /** The value given, `undefined` when missing. */
  public readonly value: string | undefined;

  public constructor(parameter: string, value: string | undefined, message: string) {
    super(400, 'bad_parameter', message);
    this.name = 'QueryParameterError';
    this.parameter = parameter;
    this.value = value;
  }
}

/** The metric named in the request is not declared (404). */
export class UnknownMetricError extends QueryError {
  /** The metric name given. */
  public readonly metric: string;

  public constructor(metric: string, known: readonly string[]) {
    super(
      404,
      'unknown_metric',
      `metric: no metric named ${JSON.stringify(metric)} (metrics: ${known.join(', ')})`,
    );
    this.name = 'UnknownMetricError';
    this.metric = metric;
  }
}

/** Most known groups an {@link UnknownGroupError} names; the rest are counted. */
const NAMED_GROUPS = 10;

/**
 * The group named in a series request has no item at all, in any window or
 * time (404). Its message names up to ten of the metric's groups, most
 * events first, and the likeliest one meant.
 */
export class UnknownGroupError extends QueryError {
  /** The metric asked for. */
  public readonly metric: string;
  /** The group given. */
  public readonly group: string;
  /** The metric's groups in the window, most events first. */
  public readonly knownGroups: readonly string[];
  /** The group likely meant, if one is close enough. */
  public readonly suggestion: string | undefined;

  public constructor(
    metric: string,
    group: string,
    window: string,
    knownGroups: readonly string[],
    suggestion: string | undefined,
  ) {
    const named = knownGroups.slice(0, NAMED_GROUPS).join(', ');
    const more = knownGroups.length - NAMED_GROUPS;
    const known =
      knownGroups.length === 0
        ? `it has no groups in window ${window}`
        : `known groups: ${named}${more > 0 ? `, … (${knownGroups.length} in all)` : ''}`;
    super(
      404,
      'unknown_group',
      `group: ${metric} has no group ${JSON.stringify(group)}; ${known}${suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`}`,
    );
    this.name = 'UnknownGroupError';
    this.metric = metric;
    this.group = group;
    this.knownGroups = knownGroups;
    this.suggestion = suggestion;
  }
}

/**
 * The aggregates table has no `byMetric` index, which groups, top groups and
 * totals are read through (answered with 500 and logged). On AWS the stack
 * creates it; locally a table kept from before the index was added lacks it,
 * and the local emulator cannot add an index to an existing table.
 */
export class AggregatesIndexMissingError extends Error {
  /** The table read. */
  public readonly tableName: string;

  public constructor(tableName: string, cause: unknown) {
    super(
      `table ${tableName} has no index ${AGGREGATES_BY_METRIC_INDEX.indexName} (partition key ${AGGREGATES_BY_METRIC_INDEX.partitionKey}, sort key ${AGGREGATES_BY_METRIC_INDEX.sortKey}); deploy the stack, or locally start from a new data directory so the table is created with it`,
      { cause },
    );
    this.name = 'AggregatesIndexMissingError';
    this.tableName = tableName;
  }
}
