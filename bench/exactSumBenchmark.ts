import {
  aggregatePartitionKey,
  aggregateSortKey,
  bucketStart,
} from '../core/aggregates/aggregateKey.js';
import { aggregationSettingsOf, compileMetrics } from '../core/aggregates/compileMetrics.js';
import type { StreamfoldConfig } from '../core/config/configSchema.js';
import { DecimalSum } from '../core/decimal/DecimalSum.js';
import { decimalScaleOf } from '../core/decimal/decimalScaleOf.js';
import { checkStorableValues } from '../core/events/checkStorableValues.js';
import type { StreamfoldEvent } from '../core/events/envelope.js';
import { paddedEvents } from './benchEvents.js';
import { median } from './measure.js';

/** Options of {@link runExactSumBenchmark}. */
export interface ExactSumBenchmarkOptions {
  config: StreamfoldConfig;
  /** Events in the fixed batch (the handler benchmark's). */
  events: number;
  /** Measured runs (after one warm-up run); the median is reported. */
  repetitions: number;
  /** Passes over the batch per run, so a run lasts long enough to time. @default 20 */
  passes?: number;
}

/** CPU time per event of each variant, ns, medians over the repetitions. */
export interface ExactSumBenchmarkResult {
  events: number;
  /** Aggregate items the batch touches (one running sum each). */
  deltas: number;
  /** Value additions per event (value metrics × windows that apply). */
  additionsPerEvent: number;
  repetitions: number;
  /** The fold's sums as binary floating point (`sum += value`), as before exact sums. */
  floatSumNsPerEvent: number;
  /** The fold's sums as `DecimalSum`s: scale once per value, add per window, write each sum out. */
  exactSumNsPerEvent: number;
  /** `checkStorableValues` with the configuration's metrics, per event. */
  storableCheckNsPerEvent: number;
}

/**
 * The sum work of the handler's fold in isolation, on the handler benchmark's
 * batch: per event and value metric, one addition per window into that
 * item's running sum, then each sum written out once — as binary floating
 * point and as exact decimals — and the storable-number check each event gets
 * on arrival. Which item an addition goes to is worked out before timing, so
 * the times are the arithmetic alone; their difference is what exact sums and
 * the check add to the handler's CPU path (row 1).
 */
export function runExactSumBenchmark(options: ExactSumBenchmarkOptions): ExactSumBenchmarkResult {
  const now = Date.parse('2026-11-22T10:30:00.000Z');
  let clock = now - 600_000;
  const events = paddedEvents(options.events, {
    seed: 11,
    now: () => (clock += 600_000 / options.events),
  }).map((event) => JSON.parse(JSON.stringify(event)) as StreamfoldEvent);
  const metrics = compileMetrics(aggregationSettingsOf(options.config));
  const passes = options.passes ?? 20;

  // Per event and value metric: the value and the item of each window it is added to.
  const values: number[] = [];
  const targets: number[][] = [];
  const itemIndex = new Map<string, number>();
  for (const event of events) {
    const timeMs = Date.parse(event.time);
    for (const metric of metrics) {
      if (!metric.readValue || !metric.types.has(event.type)) continue;
      const value = metric.readValue(event);
      if (typeof value !== 'number') continue;
      const pk = aggregatePartitionKey(metric.name, metric.groupOf(event));
      values.push(value);
      targets.push(
        metric.windows.map((window) => {
          const key = `${pk}|${aggregateSortKey(window.name, bucketStart(timeMs, window.sizeMs))}`;
          let index = itemIndex.get(key);
          if (index === undefined) {
            index = itemIndex.size;
            itemIndex.set(key, index);
          }
          return index;
        }),
      );
    }
  }
  const deltas = itemIndex.size;

  const floatSums = () => {
    for (let pass = 0; pass < passes; pass++) {
      const sums = new Array<number>(deltas).fill(0);
      for (let i = 0; i < values.length; i++) {
        const value = values[i] as number;
        for (const target of targets[i] as number[])
          sums[target] = (sums[target] as number) + value;
      }
      for (const sum of sums) if (String(sum) === '') throw new Error('unreachable');
    }
  };
  const exactSums = () => {
    for (let pass = 0; pass < passes; pass++) {
      const sums = Array.from({ length: deltas }, () => new DecimalSum());
      for (let i = 0; i < values.length; i++) {
        const value = values[i] as number;
        const scale = decimalScaleOf(value);
        for (const target of targets[i] as number[]) (sums[target] as DecimalSum).add(value, scale);
      }
      for (const sum of sums) if (sum.toString() === '') throw new Error('unreachable');
    }
  };
  const storableChecks = () => {
    for (let pass = 0; pass < passes; pass++) {
      for (const event of events) {
        if (checkStorableValues(event, metrics)) throw new Error('a bench event was refused');
      }
    }
  };

  const nsPerEvent = (task: () => void): number => {
    task(); // warm-up: JIT
    const times: number[] = [];
    for (let run = 0; run < options.repetitions; run++) {
      const before = process.cpuUsage();
      task();
      const used = process.cpuUsage(before);
      times.push(((used.user + used.system) * 1_000) / (events.length * passes));
    }
    return median(times);
  };

  return {
    events: events.length,
    deltas,
    additionsPerEvent: targets.reduce((n, t) => n + t.length, 0) / events.length,
    repetitions: options.repetitions,
    floatSumNsPerEvent: nsPerEvent(floatSums),
    exactSumNsPerEvent: nsPerEvent(exactSums),
    storableCheckNsPerEvent: nsPerEvent(storableChecks),
  };
}
