/** Options of {@link escapeForTerminal}. */
export interface TerminalEscapeOptions {
  /**
   * Leave `\n` as a line break: for a whole message whose own lines are
   * meant, where only the values quoted in it come from data.
   * @default false - every line break is shown as `\n`, as a table cell needs
   */
  keepLineBreaks?: boolean;
}

/** How JSON writes these; every other escaped character is written `\uXXXX`. */
const SHORT_ESCAPES: Readonly<Record<number, string>> = {
  8: '\\b',
  9: '\\t',
  10: '\\n',
  12: '\\f',
  13: '\\r',
};

/**
 * Whether the UTF-16 unit `code` is a character a terminal acts on or that
 * reorders or breaks what is shown: C0 controls (ESC starts every terminal
 * command, BEL ends a title change), DEL, C1 controls (0x9B is a one-byte
 * CSI), the line and paragraph separators, and the bidirectional embedding,
 * override and isolate characters (they make text read in another order
 * than it is stored). Surrogates are judged apart, by their neighbours.
 */
function isUnsafe(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

function escapeUnit(code: number): string {
  return SHORT_ESCAPES[code] ?? `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` as it may be written to a terminal: every control character,
 * separator, bidirectional control and unpaired surrogate it holds is shown
 * as an escape (`\u001b`, `\n`, `\u202e`, `\ud800`), so a value read from
 * events, the table, an archive or an API cannot move the cursor, change the
 * window title, clear a line or make a line read differently than it is
 * stored. Everything else, backslashes included, is left as it is; text with
 * nothing to escape is returned unchanged.
 *
 * Use it on values from data in tables, status lines and error messages. Not
 * on JSON output, which escapes control characters itself and must stay exact.
 *
 * @example
 * escapeForTerminal('\u001b]0;pwned\u0007'); // '\\u001b]0;pwned\\u0007'
 * escapeForTerminal('line 1\nline 2', { keepLineBreaks: true }); // unchanged
 */
export function escapeForTerminal(text: string, options: TerminalEscapeOptions = {}): string {
  const keepLineBreaks = options.keepLineBreaks === true;
  let escaped = '';
  // Start of the run of safe units not yet copied into `escaped`.
  let copiedTo = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let unsafe: boolean;
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        // A pair is one character beyond U+FFFF (an emoji); none of those is a control.
        i++;
        continue;
      }
      unsafe = true;
    } else {
      unsafe = isUnsafe(code) && !(keepLineBreaks && code === 0x0a);
    }
    if (!unsafe) continue;
    escaped += text.slice(copiedTo, i) + escapeUnit(code);
    copiedTo = i + 1;
  }
  return copiedTo === 0 ? text : escaped + text.slice(copiedTo);
}
