import { MAX_EVENT_NESTING_DEPTH } from '../../core/events/validateEvent.js';

/**
 * Characters examined (scanned or parsed) per character of the line before
 * the search gives up. Every `{` is a possible start, and a scan from one runs
 * until its brackets balance, the nesting passes what an event may have, or
 * the line ends; the nesting cap keeps the total near 70 per character at
 * worst (about 2 for an ordinary merged line), so the limit only guards
 * against a mistake here costing quadratic time on a 1 MiB line.
 */
const WORK_PER_CHARACTER = 128;
const WORK_ALLOWANCE = 4_096;

/** What {@link embeddedJsonObjects} found. */
export interface EmbeddedJsonObjects {
  /** JSON texts of the objects found, in order, none inside another. */
  objects: string[];
  /** `false` when the search stopped at `maxWork`: the line may hold more. */
  complete: boolean;
}

/**
 * The JSON objects inside a line that is not JSON itself, such as
 * `{"id":"a",…}{"id":"b",…}` or `garbage{"id":"b",…}`: what an archive holds
 * where records without a trailing newline were concatenated with no
 * delimiter. Each `{` is tried as the start of an object; an object found is
 * skipped whole, so objects nested in it are not reported. Objects nested
 * deeper than an event may be are not reported either (the handler refuses
 * them).
 *
 * @param maxWork - characters scanned and parsed before giving up
 *   (default 128 per character of the line, plus 4096)
 *
 * @example
 * embeddedJsonObjects('{"a":1}{"b":2}'); // { objects: ['{"a":1}', '{"b":2}'], complete: true }
 */
export function embeddedJsonObjects(
  line: string,
  maxWork = WORK_PER_CHARACTER * line.length + WORK_ALLOWANCE,
): EmbeddedJsonObjects {
  let work = 0;
  const objects: string[] = [];
  let start = line.indexOf('{');
  while (start !== -1) {
    const { end, scanned } = balancedEnd(line, start);
    work += scanned;
    if (end !== -1) {
      const text = line.slice(start, end);
      work += text.length;
      if (isJson(text)) {
        objects.push(text);
        start = line.indexOf('{', end);
        continue;
      }
    }
    if (work > maxWork) return { objects, complete: false };
    start = line.indexOf('{', start + 1);
  }
  return { objects, complete: true };
}

/**
 * The index after the bracket that closes the one at `start`, counting
 * brackets outside strings (`end` -1 when the line ends first or the nesting
 * goes deeper than an event may), and how many characters that took.
 */
function balancedEnd(line: string, start: number): { end: number; scanned: number } {
  let depth = 0;
  let inString = false;
  for (let i = start; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      // The object itself is level 1; an event's fields may nest MAX_EVENT_NESTING_DEPTH more.
      if (++depth > MAX_EVENT_NESTING_DEPTH + 1) return { end: -1, scanned: i - start + 1 };
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (--depth === 0) return { end: i + 1, scanned: i - start + 1 };
    }
  }
  return { end: -1, scanned: line.length - start };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    // Not JSON is an answer here, not a failure: the caller tries the next `{`.
    return false;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
