/** `String.prototype.isWellFormed` (ES2024, Node.js 20+), which the project's ES2023 lib does not declare. */
type WellFormedCheck = (this: string) => boolean;

const isWellFormed = (String.prototype as unknown as { isWellFormed: WellFormedCheck })
  .isWellFormed;

/**
 * Whether `text` is well-formed UTF-16: every surrogate is half of a pair, so
 * the text can be encoded as UTF-8 (an unpaired surrogate cannot, and
 * `Buffer.from` or a JSON reader turns it into U+FFFD or refuses the line).
 * Native and linear; a one-byte (Latin-1) string is answered at once.
 *
 * @example
 * isWellFormedText('a\ud83d\ude00'); // true
 * isWellFormedText('a\ud800'); // false
 */
export function isWellFormedText(text: string): boolean {
  return isWellFormed.call(text);
}
