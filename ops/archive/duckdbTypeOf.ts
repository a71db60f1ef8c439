/** Hive primitive types of the archive table and their DuckDB equivalents. */
const PRIMITIVES: Record<string, string> = {
  string: 'VARCHAR',
  double: 'DOUBLE',
  bigint: 'BIGINT',
  int: 'INTEGER',
  boolean: 'BOOLEAN',
};

/**
 * The DuckDB type of a Glue (Hive) column type: `string` → `VARCHAR`,
 * `array<t>` → `t[]`, `map<k,v>` → `MAP(k, v)`, `struct<a:t,...>` →
 * `STRUCT("a" t, ...)`. `fieldName` may rename struct fields: the archive's
 * JSON keys keep their case (`orderId`) while Glue lower-cases them and the
 * OpenX SerDe matches them case-insensitively; DuckDB matches keys exactly,
 * so the files are read with the original spelling and cast to Glue's.
 *
 * @throws {Error} naming the type when it has no DuckDB equivalent
 * @example
 * duckdbTypeOf('struct<amount:double,items:array<string>>'); // 'STRUCT("amount" DOUBLE, "items" VARCHAR[])'
 */
export function duckdbTypeOf(
  hiveType: string,
  fieldName: (name: string) => string = (n) => n,
): string {
  const parser = new HiveTypeParser(hiveType, fieldName);
  const type = parser.type();
  parser.end();
  return type;
}

class HiveTypeParser {
  #at = 0;

  public constructor(
    private readonly text: string,
    private readonly fieldName: (name: string) => string,
  ) {}

  public type(): string {
    const name = this.#word();
    if (name === 'array') {
      this.#expect('<');
      const element = this.type();
      this.#expect('>');
      return `${element}[]`;
    }
    if (name === 'map') {
      this.#expect('<');
      const key = this.type();
      this.#expect(',');
      const value = this.type();
      this.#expect('>');
      return `MAP(${key}, ${value})`;
    }
    if (name === 'struct') {
      this.#expect('<');
      const members: string[] = [];
      do {
        const field = this.#word();
        this.#expect(':');
        members.push(`"${this.fieldName(field).replaceAll('"', '""')}" ${this.type()}`);
      } while (this.#accept(','));
      this.#expect('>');
      return `STRUCT(${members.join(', ')})`;
    }
    const primitive = PRIMITIVES[name];
    if (!primitive) throw this.#error(`type "${name}" has no DuckDB equivalent`);
    return primitive;
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
