import { ProducerError } from './errors.js';

/** Returns `value` if it is a finite number above zero; throws naming the option otherwise. */
export function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0))
    throw new ProducerError(`${name} must be a positive number (given ${value})`);
  return value;
}

/** Returns `value` if it is a finite number of zero or more; throws naming the option otherwise. */
export function nonNegative(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new ProducerError(`${name} must be zero or a positive number (given ${value})`);
  }
  return value;
}

/** The longest delay a Node.js timer takes; longer ones fire after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Returns `value` if it is at most `max`; throws naming the option otherwise. */
export function atMost(name: string, value: number, max: number): number {
  if (value > max) throw new ProducerError(`${name} must be at most ${max} (given ${value})`);
  return value;
}
