/** A parsed Glue (Hive) column type, as the archive table declares its columns. */
export type HiveType =
  | { kind: 'primitive'; name: string }
  | { kind: 'array'; element: HiveType }
  | { kind: 'map'; key: HiveType; value: HiveType }
  | { kind: 'struct'; fields: Map<string, HiveType> };

/**
 * Parses a Glue (Hive) column type such as `struct<amount:double,items:array<string>>`,
 * the one reading of the archive table's types that the local Parquet writer and
 * the archive's SQL reader share.
 *
 * @throws {Error} naming the type and the character where it stops making sense
 * @example
 * parseHiveType('array<string>'); // { kind: 'array', element: { kind: 'primitive', name: 'string' } }
 */
export function parseHiveType(text: string): HiveType {
  const reader = new HiveTypeReader(text);
  const type = reader.type();
  reader.end();
  return type;
}

class HiveTypeReader {
  #at = 0;

  public constructor(private readonly text: string) {}

  public type(): HiveType {
    const name = this.#word();
    if (name === 'array') {
      this.#expect('<');
      const element = this.type();
      this.#expect('>');
      return { kind: 'array', element };
    }
    if (name === 'map') {
      this.#expect('<');
      const key = this.type();
      this.#expect(',');
      const value = this.type();
      this.#expect('>');
      return { kind: 'map', key, value };
    }
    if (name === 'struct') {
      this.#expect('<');
      const fields = new Map<string, HiveType>();
      do {
        const field = this.#word();
        this.#expect(':');
        fields.set(field, this.type());
      } while (this.#accept(','));
      this.#expect('>');
      return { kind: 'struct', fields };
    }
    return { kind: 'primitive', name };
  }

  public end(): void {
    if (this.#at !== this.text.length) throw this.#error('unexpected text after the type');
  }

  #word(): string {
    const match = /^[A-Za-z0-9_]+/.exec(this.text.slice(this.#at));
    if (!match) throw this.#error('expected a name');
    this.#at += match[0].length;
    return match[0];
  }

  #accept(char: string): boolean {
    if (this.text[this.#at] !== char) return false;
    this.#at++;
    return true;
  }

  #expect(char: string): void {
    if (!this.#accept(char)) throw this.#error(`expected "${char}"`);
  }

  #error(problem: string): Error {
    return new Error(`archive column type "${this.text}": ${problem} at character ${this.#at}`);
  }
}
