import { describe, expect, it } from 'vitest';
import { escapeForTerminal } from '../../../core/text/escapeForTerminal.js';

describe('escapeForTerminal', () => {
  it.each([
    ['ESC and BEL of a title change', '\u001b]0;pwned\u0007', '\\u001b]0;pwned\\u0007'],
    ['a clear-line sequence', '\u001b[2Kx', '\\u001b[2Kx'],
    ['NUL', 'a\u0000b', 'a\\u0000b'],
    ['tab, line feed and carriage return', 'a\tb\nc\rd', 'a\\tb\\nc\\rd'],
    ['backspace and form feed', 'a\bb\fc', 'a\\bb\\fc'],
    ['DEL', 'a\u007f', 'a\\u007f'],
    ['C1 NEL and the one-byte CSI', 'a\u0085b\u009b2J', 'a\\u0085b\\u009b2J'],
    ['the line and paragraph separators', 'a\u2028b\u2029', 'a\\u2028b\\u2029'],
    ['a right-to-left override', 'abc\u202Etxt.exe', 'abc\\u202etxt.exe'],
    [
      'every bidirectional embedding and override',
      '\u202A\u202B\u202C\u202D',
      '\\u202a\\u202b\\u202c\\u202d',
    ],
    ['the bidirectional isolates', '\u2066\u2067\u2068\u2069', '\\u2066\\u2067\\u2068\\u2069'],
    ['an unpaired high surrogate', 'a\ud800', 'a\\ud800'],
    ['an unpaired low surrogate before a pair', '\udc00😀', '\\udc00😀'],
    ['two high surrogates in a row', '\ud83d\ud83d\ude00', '\\ud83d😀'],
  ])('escapes %s', (_name, text, escaped) => {
    expect(escapeForTerminal(text)).toBe(escaped);
  });

  it.each([
    ['plain text', 'country=DE'],
    ['non-ASCII letters and emoji', 'Ünïcode 😀 ＤＥ e\u0301'],
    ['backslashes, as they are', 'C:\\path\\u001b'],
    ['the characters around the escaped ranges', '\u00a0\u2027\u202f\u2065\u206a'],
    ['an empty string', ''],
  ])('leaves %s unchanged', (_name, text) => {
    expect(escapeForTerminal(text)).toBe(text);
  });

  it('keeps line breaks when asked and still escapes every other control character', () => {
    expect(escapeForTerminal('line 1\nline\u001b 2\r\n', { keepLineBreaks: true })).toBe(
      'line 1\nline\\u001b 2\\r\n',
    );
  });
});
