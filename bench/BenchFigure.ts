/** One figure of the performance table, measured next to its naive baseline. */
export interface BenchFigure {
  /** Row number in the table (1-8). */
  row: number;
  /** What is measured, with its unit. */
  figure: string;
  /** streamfold's value, or undefined when this run did not measure it. */
  value: number | undefined;
  /** The naive baseline's value, measured in the same run. */
  baseline: number | undefined;
  /** What the baseline is. */
  baselineName: string;
  /** Whether a higher value is better (events/s) or a lower one (units, bytes, ms). */
  better: 'higher' | 'lower';
  /** The target, as a bound on `value`. */
  target: { op: '>=' | '<='; value: number } | undefined;
  /** The command that reproduces the figure. */
  command: string;
  /** How it was measured and what to keep in mind. */
  note: string;
}

/** How many times better `value` is than `baseline` (≥ 1 when better). */
export function improvement(figure: BenchFigure): number | undefined {
  const { value, baseline } = figure;
  if (value === undefined || baseline === undefined || value === 0 || baseline === 0) {
    return undefined;
  }
  return figure.better === 'higher' ? value / baseline : baseline / value;
}

/** Whether `value` meets the target; undefined when unmeasured or without a target. */
export function meetsTarget(figure: BenchFigure): boolean | undefined {
  if (figure.value === undefined || figure.target === undefined) return undefined;
  return figure.target.op === '>='
    ? figure.value >= figure.target.value
    : figure.value <= figure.target.value;
}
