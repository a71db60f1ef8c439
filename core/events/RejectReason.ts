/** Why an event was refused. Bad input is never retried; it goes to the rejects sink. */
export type RejectCode =
  | 'malformed_json'
  /** The record starts with the KPL aggregated-record magic but is not a valid aggregate. */
  | 'malformed_aggregate'
  | 'not_an_object'
  /** Objects and arrays nested deeper than `MAX_EVENT_NESTING_DEPTH`. */
  | 'too_deep'
  /**
   * A string, value or key, holding an unpaired UTF-16 surrogate (JSON such as `"\ud800"`):
   * UTF-8 cannot encode it, so the archive could not hold the event as sent.
   */
  | 'unpaired_surrogate'
  | 'unknown_type'
  | 'schema_violation'
  | 'time_out_of_window'
  /**
   * A metric value DynamoDB could not store, or that could make a stored sum need more
   * than DynamoDB's 38 significant digits (see `SUMMABLE_NUMBER_LIMITS`).
   */
  | 'unstorable_number'
  /**
   * DynamoDB refused to store an update carrying this event although it
   * passed validation; isolated to its own record so the rest is counted.
   */
  | 'refused_by_store';

/** A refusal, with the field and value at fault where there is one. */
export interface RejectReason {
  code: RejectCode;
  /** Human-readable, names the field and the value. */
  message: string;
  /** Dotted path of the offending field, for example `data.amount`. */
  field?: string;
}
