/** What {@link sustainedCeiling} needs of a phase. */
export interface RatedPhase {
  offeredPerSecond: number;
  sustained: boolean;
}

/**
 * The phase of the highest rate that was sustained with every lower rate
 * sustained too; `undefined` when the lowest rate was not. A rate sustained
 * above one that was not is left out: near saturation a phase can pass by
 * luck (a quieter moment on a shared machine), and a capacity that holds
 * only sometimes is not one to claim. The phases may come in any order.
 *
 * @example
 * sustainedCeiling([{ offeredPerSecond: 30_000, sustained: true },
 *   { offeredPerSecond: 35_000, sustained: false }, { offeredPerSecond: 40_000, sustained: true }]);
 * // { offeredPerSecond: 30_000, sustained: true }
 */
export function sustainedCeiling<P extends RatedPhase>(phases: readonly P[]): P | undefined {
  let ceiling: P | undefined;
  for (const phase of [...phases].sort((a, b) => a.offeredPerSecond - b.offeredPerSecond)) {
    if (!phase.sustained) return ceiling;
    ceiling = phase;
  }
  return ceiling;
}
