import { parseArgs } from 'node:util';
import { didYouMeanSuffix } from './didYouMean.js';
import { UsageError } from './errors.js';

/** A value that starts like a negative number (`-1`, `-0.5`, `-.5`, `-1h`) rather than an option. */
const NEGATIVE_NUMBER = /^-\.?\d/;

/** One option of a command: `--name VALUE` (string) or `--name` (boolean). */
export interface OptionSpec {
  type: 'string' | 'boolean';
  /** One-letter alias, e.g. `h` for `-h`. */
  short?: string;
  /** May be given more than once; every value is kept. */
  multiple?: boolean;
}

/** The options of a command, by long name without the dashes. */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** What a command accepts. */
export interface CommandArgsSpec {
  options: OptionSpecs;
  /** Whether arguments other than options are accepted (a metric, SQL, a sub-subcommand). @default false */
  positionals?: boolean;
  /**
   * Builds the error thrown for a command line that cannot be parsed, so a command can keep
   * its own error class.
   * @default (message) => new UsageError(message)
   */
  error?: (message: string) => Error;
}

/** A parsed command line, read through typed accessors. */
export class ParsedCommandArgs {
  /** Arguments other than options, in order. */
  public readonly positionals: readonly string[];
  readonly #values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly #fail: (message: string) => Error;

  public constructor(
    values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>,
    positionals: readonly string[],
    fail: (message: string) => Error = (message) => new UsageError(message),
  ) {
    this.#values = values;
    this.positionals = positionals;
    this.#fail = fail;
  }

  /**
   * `--target`: the local stack or a deployed one, `local` when not given.
   *
   * @throws the command's usage error for any other value
   */
  public target(): 'local' | 'aws' {
    const target = this.text('target') ?? 'local';
    if (target !== 'local' && target !== 'aws') {
      throw this.#fail(`--target must be local or aws (given "${target}")`);
    }
    return target;
  }

  /** The value of a string option (the last one when given twice), or `undefined`. */
  public text(name: string): string | undefined {
    const value = this.#values[name];
    const last = Array.isArray(value) ? value.at(-1) : value;
    return typeof last === 'string' ? last : undefined;
  }

  /** Every value of a repeatable string option, in order. */
  public texts(name: string): string[] {
    const value = this.#values[name];
    const all = Array.isArray(value) ? value : value === undefined ? [] : [value];
    return all.filter((v): v is string => typeof v === 'string');
  }

  /** Whether a boolean option was given. */
  public flag(name: string): boolean {
    return this.#values[name] === true;
  }
}

/**
 * Parses a command line with `node:util` `parseArgs`, after checking every
 * token itself so that each mistake gets one plain sentence instead of
 * parseArgs' own text: an unknown option with the closest known one
 * (`unknown option --windw (did you mean --window?)`), an option missing its
 * value, a value given to a flag, an argument the command does not take.
 *
 * @throws {UsageError} (or `spec.error`'s error) naming the argument that is wrong
 * @example
 * const args = parseCommandArgs(['--since', '1h'], { options: { since: { type: 'string' } } });
 * args.text('since'); // '1h'
 */
export function parseCommandArgs(
  argv: readonly string[],
  spec: CommandArgsSpec,
): ParsedCommandArgs {
  const fail = spec.error ?? ((message: string) => new UsageError(message));
  const options = spec.options;
  const longNames = Object.keys(options);
  const { tokens } = parseArgs({
    args: [...argv],
    options: options as Record<string, OptionSpec>,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  // parseArgs' strict mode refuses `--rate -1` as ambiguous; it reads `--rate=-1` alone.
  const joined = [...argv];
  const joinedValues = new Set<number>();
  for (const token of tokens) {
    if (token.kind === 'option') {
      const isShort = !token.rawName.startsWith('--');
      // parseArgs names a known short option by its long name, an unknown one by its letter.
      const name = token.name;
      const option = options[name];
      if (option === undefined) {
        const suffix = isShort
          ? ''
          : didYouMeanSuffix(token.name, longNames, (candidate) => `--${candidate}`);
        throw fail(`unknown option ${token.rawName}${suffix}`);
      }
      if (option.type === 'string') {
        const value = token.value;
        // `--rate -1` gives -1, which the command then refuses by its range; `--group --json`
        // gives nothing: a dash followed by a digit or a point is a number, not an option.
        const isOption = value?.startsWith('-') === true && !NEGATIVE_NUMBER.test(value);
        if (value === undefined || (!token.inlineValue && isOption && value !== '-')) {
          throw fail(`option --${name} needs a value`);
        }
        if (!token.inlineValue && value.startsWith('-')) {
          joined[token.index] = `--${name}=${value}`;
          joinedValues.add(token.index + 1);
        }
      } else if (token.inlineValue) {
        throw fail(`option --${name} takes no value (given "${token.rawName}=${token.value}")`);
      }
    } else if (token.kind === 'positional' && spec.positionals !== true) {
      throw fail(`unexpected argument "${token.value}"`);
    }
  }
  try {
    const { values, positionals } = parseArgs({
      args: joined.filter((_arg, index) => !joinedValues.has(index)),
      options: options as Record<string, OptionSpec>,
      strict: true,
      allowPositionals: spec.positionals === true,
    });
    return new ParsedCommandArgs(values, positionals, fail);
  } catch (error) {
    // The checks above catch what users type; this names anything else parseArgs refuses.
    throw fail(error instanceof Error ? error.message : String(error));
  }
}
