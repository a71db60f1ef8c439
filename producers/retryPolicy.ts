/**
 * Error names of whole-call failures worth retrying (throttling, service-side
 * faults, timeouts). Anything else fails the call's events at once.
 */
const RETRYABLE_CALL_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'ThrottlingException',
  'ServiceUnavailableException',
  'InternalFailure',
  'ServiceUnavailable',
  'KMSThrottlingException',
  'TimeoutError',
  'RequestTimeout',
]);

/** Socket-level error codes: the request may not have reached the service, so it is re-sent. */
const NETWORK_ERROR_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

/**
 * Whether a failed API call (not a per-entry failure) should be retried:
 * throttling, service faults, timeouts and broken connections are; validation
 * and permission errors are not.
 */
export function isRetryableCallError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (RETRYABLE_CALL_ERRORS.has(error.name)) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && NETWORK_ERROR_CODES.has(code);
}

/** A failure detail as one line of text for an error message. */
export function describeError(detail: unknown): string {
  if (detail instanceof Error) return detail.message;
  return detail === undefined ? 'no detail' : String(detail);
}
