/**
 * Names of the Powertools metrics the aggregate function publishes per batch
 * (namespace `METRICS_NAMESPACE`, dimension `service`). The stack's alarms
 * read them from here, so a renamed metric cannot leave an alarm without data.
 */
export const AGGREGATE_METRIC = {
  /** Records the invocation received, published even when the batch throws. */
  recordsReceived: 'RecordsReceived',
  /** Events folded into aggregates. */
  eventsFolded: 'EventsFolded',
  /** Events refused as bad input (sent to the rejects sink); also per `code`. */
  eventsRejected: 'EventsRejected',
  /** Aggregate items written. */
  aggregateWrites: 'AggregateWrites',
  /** Records reported as batch item failures. */
  failedRecords: 'FailedRecords',
} as const;

/** Dimension of the per-code copy of `EventsRejected` (`malformed_json`, ...). */
export const REJECT_CODE_DIMENSION = 'code';
