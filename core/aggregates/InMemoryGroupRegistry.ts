import type { GroupRegistry } from './GroupRegistry.js';

/**
 * A {@link GroupRegistry} held in memory: for one process (benchmarks, unit
 * tests). Across processes and restarts use `DynamoGroupRegistry`.
 *
 * @example
 * const registry = new InMemoryGroupRegistry();
 * await registry.admit('revenue', 2, ['country=DE', 'country=FR', 'country=IT']); // DE, FR
 */
export class InMemoryGroupRegistry implements GroupRegistry {
  readonly #admitted = new Map<string, Set<string>>();

  public async admit(
    metric: string,
    maxGroups: number,
    groups: readonly string[],
  ): Promise<ReadonlySet<string>> {
    let admitted = this.#admitted.get(metric);
    if (!admitted) {
      admitted = new Set();
      this.#admitted.set(metric, admitted);
    }
    const result = new Set<string>();
    for (const group of groups) {
      if (!admitted.has(group) && admitted.size < maxGroups) admitted.add(group);
      if (admitted.has(group)) result.add(group);
    }
    return result;
  }
}
