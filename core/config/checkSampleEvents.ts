import { validateEventObject } from '../events/validateEvent.js';
import type { StreamfoldConfig } from './configSchema.js';
import { ConfigError } from './errors.js';

/** How many events are drawn to check the generator: enough to meet each type of a small catalog. */
const SAMPLES = 20;

/**
 * Checks that the configuration's `sampleEvents` is what the demo producer and
 * the load test expect: a factory returning a function that makes events the
 * catalog accepts. The schema can only see that it is a function, and a wrong
 * shape (a generator function, say) would otherwise fail deep in a run.
 *
 * @throws {ConfigError} naming `sampleEvents` and what it gave instead
 */
export function checkSampleEvents(config: StreamfoldConfig): void {
  const factory = config.sampleEvents;
  if (!factory) return;
  const fail = (problem: string): never => {
    throw new ConfigError([
      `sampleEvents: must be a function returning a function that makes one event of the catalog on each call; ${problem}`,
    ]);
  };
  let next: unknown;
  try {
    next = factory({ source: 'streamfold-check' });
  } catch (error) {
    fail(`calling it threw ${describeError(error)}`);
  }
  if (typeof next !== 'function') fail(`calling it gave ${describe(next)}`);
  for (let index = 0; index < SAMPLES; index++) {
    let event: unknown;
    try {
      event = (next as () => unknown)();
    } catch (error) {
      fail(`the function it returned threw ${describeError(error)}`);
    }
    const validation = validateEventObject(event, config.catalog);
    if (!validation.ok) {
      fail(`it made an event the catalog refuses: ${validation.reason.message}`);
    }
  }
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object' && typeof (value as { next?: unknown }).next === 'function')
    return 'an iterator (is it a generator function?)';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
