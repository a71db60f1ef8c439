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
