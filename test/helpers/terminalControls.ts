/**
 * The characters of `text` that act on a terminal or change how a line reads,
 * written as `U+XXXX`, in order: C0 controls but the line feed, DEL, C1
 * controls, the line and paragraph separators, the bidirectional embeddings,
 * overrides and isolates, and unpaired surrogates. Empty for text that is safe
 * to print. Written apart from the code under test, by code point.
 *
 * @example
 * expect(terminalControlsIn(output)).toEqual([]);
 */
export function terminalControlsIn(text: string): string[] {
  const found: string[] = [];
  for (const character of text) {
    const code = character.codePointAt(0) as number;
    const unsafe =
      (code < 0x20 && code !== 0x0a) ||
      (code >= 0x7f && code <= 0x9f) ||
      code === 0x2028 ||
      code === 0x2029 ||
      (code >= 0x202a && code <= 0x202e) ||
      (code >= 0x2066 && code <= 0x2069) ||
      (code >= 0xd800 && code <= 0xdfff);
    if (unsafe) found.push(`U+${code.toString(16).toUpperCase().padStart(4, '0')}`);
  }
  return found;
}
