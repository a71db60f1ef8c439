/**
 * Java `DateTimeFormatter` patterns (the Java 8 letter table, which is what
 * Firehose's `!{timestamp:...}` expressions take), formatted for an instant in
 * UTC with the US locale's texts and week rules (weeks start on Sunday, week 1
 * holds 1 January): Firehose formats in the default locale of its JVM, and the
 * zone of streamfold's delivery streams is UTC (no `CustomTimeZone`).
 */

/** One pattern letter run, as Java reads it: `yyyy` is letter `y`, count 4. */
export interface DatePatternField {
  letter: string;
  count: number;
}

/** A pattern checked once and ready to format many instants. */
export interface CompiledDatePattern {
  /** The letter runs in pattern order; quoted text and other characters are not fields. */
  readonly fields: readonly DatePatternField[];
  /** The most characters this pattern can produce for any instant in years 1000-9999. */
  readonly maxLength: number;
  /** Formats `time` in UTC. */
  format(time: Date): string;
}

/** A pattern Java's `DateTimeFormatter.ofPattern` would refuse, or one that fails when formatting. */
export class JavaDatePatternError extends Error {
  public constructor(
    public readonly pattern: string,
    problem: string,
  ) {
    super(`invalid Java DateTimeFormatter pattern "${pattern}": ${problem}`);
    this.name = 'JavaDatePatternError';
  }
}

interface Printer {
  format(time: Date): string;
  maxWidth: number;
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const QUARTERS = ['1st quarter', '2nd quarter', '3rd quarter', '4th quarter'];
const DAY_MS = 86_400_000;

const pad = (value: number, width: number): string => String(value).padStart(width, '0');
const longest = (texts: readonly string[]): number => Math.max(...texts.map((t) => t.length));

/** Java's text styles by count: 1-3 short, 4 full, 5 narrow. */
function text(count: number, full: (time: Date) => string, fulls: readonly string[]): Printer {
  if (count <= 3) return { format: (t) => full(t).slice(0, 3), maxWidth: 3 };
  if (count === 4) return { format: full, maxWidth: longest(fulls) };
  return { format: (t) => full(t).slice(0, 1), maxWidth: 1 };
}

/** `appendValue(field)` for one letter, `appendValue(field, 2)` for two. */
function smallNumber(count: number, value: (time: Date) => number, digits: number): Printer {
  return count === 1
    ? { format: (t) => String(value(t)), maxWidth: digits }
    : { format: (t) => pad(value(t), 2), maxWidth: 2 };
}

/**
 * `y`, `u` and `Y`: two letters print the last two digits; fewer than four pad
 * to the count; four or more pad to the count and sign a year wider than it.
 */
function year(count: number, value: (time: Date) => number): Printer {
  if (count === 2) return { format: (t) => pad(value(t) % 100, 2), maxWidth: 2 };
  return {
    format: (t) => {
      const digits = pad(value(t), count);
      return count >= 4 && digits.length > count ? `+${digits}` : digits;
    },
    maxWidth: Math.max(count, 4),
  };
}

/**
 * `appendValue(field, count)` for a value as wide as `digits` at most: Java
 * prints a fixed width and throws when formatting a value wider than it, so a
 * width that some instant overflows is refused here rather than at delivery.
 */
function fixedWidth(
  count: number,
  value: (time: Date) => number,
  digits: number,
): Printer | string {
  if (count === 1) return { format: (t) => String(value(t)), maxWidth: digits };
  if (count > 19) return 'at most 19 letters are allowed for a number';
  if (count < digits) {
    return `${count} letters cannot hold every value, which needs up to ${digits} digits (Java fails to format it)`;
  }
  return { format: (t) => pad(value(t), count), maxWidth: count };
}

const constant = (value: string): Printer => ({ format: () => value, maxWidth: value.length });

const month = (t: Date): number => t.getUTCMonth() + 1;
const quarter = (t: Date): number => Math.floor(t.getUTCMonth() / 3) + 1;
const hour = (t: Date): number => t.getUTCHours();
const milliOfDay = (t: Date): number => t.getTime() - Math.floor(t.getTime() / DAY_MS) * DAY_MS;
const dayOfYear = (t: Date): number =>
  (Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()) -
    Date.UTC(t.getUTCFullYear(), 0, 1)) /
    DAY_MS +
  1;

/** The US week of `t`: its week-based year and week number (weeks start Sunday; week 1 holds 1 January). */
function usWeek(t: Date): { weekYear: number; week: number } {
  const day = Math.floor(t.getTime() / DAY_MS);
  const weekStart = day - t.getUTCDay();
  // The week holding 1 January is week 1 of that year, so a week belongs to the year its Saturday is in.
  const weekYear = new Date((weekStart + 6) * DAY_MS).getUTCFullYear();
  const january1 = Date.UTC(weekYear, 0, 1) / DAY_MS;
  const week1Start = january1 - new Date(january1 * DAY_MS).getUTCDay();
  return { weekYear, week: (weekStart - week1Start) / 7 + 1 };
}

function usWeekOfMonth(t: Date): number {
  const firstDay = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), 1)).getUTCDay();
  return Math.floor((t.getUTCDate() - 1 + firstDay) / 7) + 1;
}

/** Pattern letters (but `G`) and the counts Java accepts for each, as printers; a string says why not. */
function printerFor(letter: string, count: number): Printer | string {
  const tooMany = `too many pattern letters: ${letter.repeat(count)}`;
  switch (letter) {
    case 'u':
    case 'y':
      return year(count, (t) => t.getUTCFullYear());
    case 'Y':
      return year(count, (t) => usWeek(t).weekYear);
    case 'M':
    case 'L':
      if (count > 5) return tooMany;
      return count <= 2 ? smallNumber(count, month, 2) : monthText(count);
    case 'Q':
    case 'q':
      if (count > 5) return tooMany;
      if (count <= 2) return smallNumber(count, quarter, 1);
      if (count === 3) return { format: (t) => `Q${quarter(t)}`, maxWidth: 2 };
      if (count === 4) return { format: (t) => QUARTERS[quarter(t) - 1] ?? '', maxWidth: 11 };
      return { format: (t) => String(quarter(t)), maxWidth: 1 };
    case 'D':
      if (count > 3) return tooMany;
      return count === 1
        ? { format: (t) => String(dayOfYear(t)), maxWidth: 3 }
        : { format: (t) => pad(dayOfYear(t), count), maxWidth: 3 };
    case 'd':
      return count > 2 ? tooMany : smallNumber(count, (t) => t.getUTCDate(), 2);
    case 'w':
      return count > 2 ? tooMany : smallNumber(count, (t) => usWeek(t).week, 2);
    case 'W':
      return count > 1 ? tooMany : smallNumber(count, usWeekOfMonth, 1);
    case 'E':
      return count > 5 ? tooMany : dayText(count);
    case 'e':
    case 'c':
      if (count > 5) return tooMany;
      if (letter === 'c' && count === 2) return `invalid pattern "cc"`;
      // Localized day-of-week number: the US week starts on Sunday, day 1.
      return count <= 2 ? smallNumber(count, (t) => t.getUTCDay() + 1, 1) : dayText(count);
    case 'F':
      // Java 8 maps F to ALIGNED_DAY_OF_WEEK_IN_MONTH (1-7), whatever its javadoc says.
      return fixedWidth(count, (t) => ((t.getUTCDate() - 1) % 7) + 1, 1);
    case 'a':
      return count > 1 ? tooMany : { format: (t) => (hour(t) < 12 ? 'AM' : 'PM'), maxWidth: 2 };
    case 'h':
      return count > 2 ? tooMany : smallNumber(count, (t) => hour(t) % 12 || 12, 2);
    case 'K':
      return count > 2 ? tooMany : smallNumber(count, (t) => hour(t) % 12, 2);
    case 'k':
      return count > 2 ? tooMany : smallNumber(count, (t) => hour(t) || 24, 2);
    case 'H':
      return count > 2 ? tooMany : smallNumber(count, hour, 2);
    case 'm':
      return count > 2 ? tooMany : smallNumber(count, (t) => t.getUTCMinutes(), 2);
    case 's':
      return count > 2 ? tooMany : smallNumber(count, (t) => t.getUTCSeconds(), 2);
    case 'S':
      if (count > 9) return tooMany;
      // Fraction of second, truncated to `count` digits; a Date holds milliseconds.
      return {
        format: (t) => pad(t.getUTCMilliseconds() * 1_000_000, 9).slice(0, count),
        maxWidth: count,
      };
    case 'A':
      return fixedWidth(count, milliOfDay, 8);
    case 'n':
      return fixedWidth(count, (t) => t.getUTCMilliseconds() * 1_000_000, 9);
    case 'N':
      return fixedWidth(count, (t) => milliOfDay(t) * 1_000_000, 14);
    case 'V':
      return count === 2
        ? constant('UTC')
        : `pattern letter count must be 2: ${letter.repeat(count)}`;
    case 'z':
      if (count > 4) return tooMany;
      return constant(count === 4 ? 'Coordinated Universal Time' : 'UTC');
    case 'O':
      return count === 1 || count === 4
        ? constant('GMT')
        : `pattern letter count must be 1 or 4: ${letter.repeat(count)}`;
    case 'X':
      return count > 5 ? tooMany : constant('Z');
    case 'x':
      if (count > 5) return tooMany;
      return constant(['+00', '+0000', '+00:00', '+0000', '+00:00'][count - 1] ?? '');
    case 'Z':
      if (count > 5) return tooMany;
      return constant(count <= 3 ? '+0000' : count === 4 ? 'GMT' : 'Z');
    default:
      return `unknown pattern letter: ${letter}`;
  }
}

function monthText(count: number): Printer {
  return text(count, (t) => MONTHS[t.getUTCMonth()] ?? '', MONTHS);
}

function dayText(count: number): Printer {
  return text(count, (t) => DAYS[t.getUTCDay()] ?? '', DAYS);
}

/** Java formats the short era of a CE year as `AD`; the full and narrow styles come from the text table. */
function eraPrinter(count: number): Printer | string {
  if (count > 5) return `too many pattern letters: ${'G'.repeat(count)}`;
  if (count <= 3) return constant('AD');
  return constant(count === 4 ? 'Anno Domini' : 'A');
}

/**
 * Reads a Java `DateTimeFormatter` pattern the way `ofPattern` does: letter
 * runs are fields, text in single quotes is literal (`''` is one quote),
 * `[` `]` mark optional sections (always printed, since an instant in UTC has
 * every field), `p` pads the next item with spaces, `#` `{` `}` are reserved,
 * and every other character is printed as it is.
 *
 * @throws {JavaDatePatternError} for an unknown letter, a letter count Java
 *   refuses, an unterminated quote, an unbalanced `]` or a reserved character
 * @example
 * compileJavaDatePattern("'year='yyyy'/month='MM").format(new Date('2026-11-29T10:00:00Z')); // 'year=2026/month=11'
 */
export function compileJavaDatePattern(pattern: string): CompiledDatePattern {
  const fail = (problem: string): never => {
    throw new JavaDatePatternError(pattern, problem);
  };
  const printers: Printer[] = [];
  const fields: DatePatternField[] = [];
  let padWidth = 0;
  let optionalDepth = 0;
  const add = (printer: Printer): void => {
    if (padWidth === 0) {
      printers.push(printer);
      return;
    }
    const width = padWidth;
    padWidth = 0;
    printers.push({
      format: (t) => printer.format(t).padStart(width, ' '),
      maxWidth: Math.max(width, printer.maxWidth),
    });
  };
  let pos = 0;
  while (pos < pattern.length) {
    const char = pattern.charAt(pos);
    if (/[A-Za-z]/.test(char)) {
      let end = pos + 1;
      while (pattern.charAt(end) === char) end += 1;
      const count = end - pos;
      pos = end;
      if (char === 'p') {
        // Padding applies to the next item: `ppH` prints the hour in two places, space-filled.
        if (pos >= pattern.length) fail('the pad letter p must be followed by what it pads');
        padWidth = count;
        continue;
      }
      const printer = char === 'G' ? eraPrinter(count) : printerFor(char, count);
      if (typeof printer === 'string') return fail(printer);
      fields.push({ letter: char, count });
      add(printer);
    } else if (char === "'") {
      let end = pos + 1;
      for (; end < pattern.length; end += 1) {
        if (pattern.charAt(end) !== "'") continue;
        if (pattern.charAt(end + 1) === "'") end += 1;
        else break;
      }
      if (end >= pattern.length) fail('the pattern ends inside a quoted literal');
      const quoted = pattern.slice(pos + 1, end);
      add(constant(quoted === '' ? "'" : quoted.replaceAll("''", "'")));
      pos = end + 1;
    } else if (char === '[') {
      optionalDepth += 1;
      pos += 1;
    } else if (char === ']') {
      if (optionalDepth === 0) fail('] without a [ before it');
      optionalDepth -= 1;
      pos += 1;
    } else if (char === '#' || char === '{' || char === '}') {
      return fail(`the character ${char} is reserved for future use`);
    } else {
      add(constant(char));
      pos += 1;
    }
  }
  return {
    fields,
    maxLength: printers.reduce((sum, printer) => sum + printer.maxWidth, 0),
    format: (time) => printers.map((printer) => printer.format(time)).join(''),
  };
}
