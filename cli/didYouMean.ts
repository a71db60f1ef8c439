/**
 * The candidate `given` was most likely meant to be, or `undefined` when none
 * is close enough to be worth suggesting.
 *
 * A candidate is close when its edit distance (insertions, deletions,
 * substitutions and swaps of neighbours) is at most a third of the longer
 * word, and at least 1. When nothing is that close, a candidate that shares a
 * whole word of three letters or more (words split at `-`, `_` and `.`) is
 * suggested, provided only one does: `cart_value` → `cart_quantity`.
 *
 * @example
 * didYouMean('windw', ['window', 'since']); // 'window'
 * didYouMean('cart_value', ['revenue', 'cart_quantity']); // 'cart_quantity'
 */
export function didYouMean(given: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(given.toLowerCase(), candidate.toLowerCase());
    const allowed = Math.max(1, Math.floor(Math.max(given.length, candidate.length) / 3));
    if (distance <= allowed && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined) return best;
  const words = wordsOf(given);
  const sharing = candidates.filter((candidate) =>
    [...wordsOf(candidate)].some((word) => words.has(word)),
  );
  return sharing.length === 1 ? sharing[0] : undefined;
}

/** ` (did you mean X?)` for a close candidate, otherwise an empty string. */
export function didYouMeanSuffix(
  given: string,
  candidates: readonly string[],
  show: (candidate: string) => string = (candidate) => candidate,
): string {
  const match = didYouMean(given, candidates);
  return match === undefined ? '' : ` (did you mean ${show(match)}?)`;
}

/** Optimal string alignment distance: Levenshtein plus swaps of neighbouring letters. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) row.push(i === 0 ? j : 0);
    rows.push(row);
  }
  const at = (i: number, j: number) => rows[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, at(i - 2, j - 2) + 1);
      }
      row[j] = distance;
    }
  }
  return at(a.length, b.length);
}

function wordsOf(text: string): Set<string> {
  return new Set(
    text
      .toLowerCase()
      .replace(/^-+/, '')
      .split(/[-_.]/)
      .filter((word) => word.length >= 3),
  );
}
