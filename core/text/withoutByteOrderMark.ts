/** A UTF-8 byte order mark; RFC 8259 §8.1 lets a parser ignore one at the start of a text. */
const BYTE_ORDER_MARK = '\uFEFF';

/**
 * `text` without a leading byte order mark, as every reader of an event line
 * takes it (the aggregate function and the Parquet conversion alike), so one
 * that starts with a mark is the same event to both.
 *
 * @example
 * JSON.parse(withoutByteOrderMark('\uFEFF{"id":"a"}')); // { id: 'a' }
 */
export function withoutByteOrderMark(text: string): string {
  return text.startsWith(BYTE_ORDER_MARK) ? text.slice(1) : text;
}
