/**
 * The known group most likely meant by `given`, or `undefined` when none is
 * close. Groups are stored as `label=value` parts joined by `,`, values URL
 * encoded (`country=United%20States`); comparisons ignore case and encoding.
 * In order of preference:
 *
 * 1. the same group (`Country=de` → `country=DE`);
 * 2. the one group with `given` as one of its values (`DE` → `country=DE`);
 * 3. the one group, or group value, nearest by edit distance, at most a third
 *    of the length given away (at least 1): `country=DEE` → `country=DE`.
 *
 * A tie suggests nothing: `country=XX` is as near to every two-letter country
 * as to any other, and naming one of them would be a guess.
 *
 * @example
 * suggestGroup('DE', ['country=FR', 'country=DE']); // 'country=DE'
 */
export function suggestGroup(given: string, known: readonly string[]): string | undefined {
  const wanted = normalized(given);
  const exact = known.find((group) => normalized(group) === wanted);
  if (exact !== undefined) return exact;
  const byValue = known.filter((group) => valuesOf(group).includes(wanted));
  if (byValue.length > 0) return byValue.length === 1 ? byValue[0] : undefined;
  const allowed = Math.max(1, Math.floor(wanted.length / 3));
  let best: { group: string; distance: number; tied: boolean } | undefined;
  for (const group of known) {
    const distance = Math.min(
      ...[normalized(group), ...valuesOf(group)].map((text) =>
        // The distance is at least the difference in length: skips the quadratic work for most.
        Math.abs(text.length - wanted.length) > allowed
          ? Number.POSITIVE_INFINITY
          : editDistance(wanted, text),
      ),
    );
    if (distance > allowed) continue;
    if (best === undefined || distance < best.distance) best = { group, distance, tied: false };
    else if (distance === best.distance) best.tied = true;
  }
  return best?.tied === false ? best.group : undefined;
}

/** The normalized values of a group's `label=value` parts. */
function valuesOf(group: string): string[] {
  return group.split(',').map((part) => normalized(part.slice(part.indexOf('=') + 1)));
}

function normalized(text: string): string {
  let decoded = text;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    // Not valid URL encoding (a stray `%`): compared as typed, which is what was meant.
  }
  return decoded.toLowerCase();
}

/** Levenshtein distance: insertions, deletions and substitutions, one each. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
