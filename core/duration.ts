/** Units accepted in duration strings, in milliseconds. */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/**
 * Parses a duration string into milliseconds.
 *
 * @returns the duration in milliseconds, or `undefined` when the text is not a duration
 * @example
 * parseDuration('90s'); // 90000
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const [, amount, unit] = match;
  // Whole milliseconds: '4.1m' is 246000, not the 245999.99999999997 floating point makes of it.
  return Math.round(Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]);
}
