import type { StreamfoldEvent } from '../../core/events/envelope.js';
import type { EventSink } from './types.js';

/** How the puts of one request ended. */
export interface AcknowledgementOutcome {
  /** Events the sink acknowledged within the time allowed. */
  acknowledged: number;
  /** Events whose put failed or was still pending when the time ran out, in request order. */
  unacknowledged: StreamfoldEvent[];
  /** The first put failure, if any; `undefined` when the only problem was the timeout. */
  firstError: unknown;
  /** Whether the time ran out with puts still pending. */
  timedOut: boolean;
}

/**
 * Puts every event into the sink at once and waits until each put settled or
 * `timeoutMs` passed, whichever comes first. Puts still pending then keep
 * running and may land later; their events count as unacknowledged, because
 * the caller must not promise the client what it does not know.
 */
export async function putAndAwaitAcknowledgement(
  sink: EventSink,
  events: readonly StreamfoldEvent[],
  timeoutMs: number,
): Promise<AcknowledgementOutcome> {
  const settled: ('pending' | 'acknowledged' | 'failed')[] = events.map(() => 'pending');
  let firstError: unknown;
  const puts = events.map((event, index) =>
    // new Promise(...) also turns a sink that throws synchronously into a failed put.
    new Promise((resolve) => resolve(sink.put(event))).then(
      () => {
        settled[index] = 'acknowledged';
      },
      (error: unknown) => {
        settled[index] = 'failed';
        firstError ??= error;
      },
    ),
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const first = await Promise.race([Promise.all(puts), timeout]);
    const unacknowledged = events.filter((_, index) => settled[index] !== 'acknowledged');
    return {
      acknowledged: events.length - unacknowledged.length,
      unacknowledged,
      firstError,
      timedOut: first === 'timeout',
    };
  } finally {
    clearTimeout(timer);
  }
}
