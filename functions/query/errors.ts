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
