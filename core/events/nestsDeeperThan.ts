/**
 * Whether any value in `root` is nested deeper than `limit` objects/arrays
 * (`root` itself is level 0). Iterative and visiting only objects and arrays,
 * so the check cannot overflow the stack that `JSON.stringify` or zod, both
 * recursive, would overflow on the same value.
 *
 * @example
 * nestsDeeperThan({ a: { b: [1] } }, 2); // false
 * nestsDeeperThan({ a: { b: [1] } }, 1); // true
 */
export function nestsDeeperThan(root: object, limit: number): boolean {
  const values: object[] = [root];
  const depths: number[] = [0];
  for (let value = values.pop(); value !== undefined; value = values.pop()) {
    const depth = depths.pop() as number;
    if (depth >= limit) return true;
    for (const key of Object.keys(value)) {
      const child = (value as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null) {
        values.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}
