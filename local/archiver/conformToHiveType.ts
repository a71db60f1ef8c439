/** A value that does not fit its Glue column, as Firehose's conversion refuses it. */
export class ColumnTypeMismatchError extends Error {
  public override readonly name = 'ColumnTypeMismatchError';

  public constructor(
    /** Where the value is: `data.amount`. */
    public readonly path: string,
    /** The Glue type it must fit. */
    public readonly hiveType: string,
  ) {
    super(`${path}: value does not fit the column type ${hiveType}`);
  }
}

/** A parsed Glue (Hive) type. */
type HiveType =
  | { kind: 'primitive'; name: string }
  | { kind: 'array'; element: HiveType }
  | { kind: 'map'; value: HiveType }
  | { kind: 'struct'; fields: Map<string, HiveType> };

const parsed = new Map<string, HiveType>();

/**
 * `value` as a row of a Parquet file with the Glue column type `hiveType`
 * holds it, the way Firehose's OpenX JSON SerDe reads JSON into the table:
 * struct keys matched case-insensitively and stored under the column's
 * (lower-case) names, keys the type does not declare dropped, missing ones and
 * `null` as null, a number or boolean for a `string` column as its text.
 *
 * @throws {ColumnTypeMismatchError} naming the path when a value cannot fit
 *   (text for a number, a fraction for `bigint`, an object for a `string`, …)
 */
export function conformToHiveType(value: unknown, hiveType: string, path: string): unknown {
  let type = parsed.get(hiveType);
  if (!type) {
    type = new HiveTypeReader(hiveType).read();
    parsed.set(hiveType, type);
  }
  return conform(value, type, hiveType, path);
}

function conform(value: unknown, type: HiveType, text: string, path: string): unknown {
  if (value === null || value === undefined) return null;
  const mismatch = () => new ColumnTypeMismatchError(path, text);
  switch (type.kind) {
    case 'primitive':
      switch (type.name) {
        case 'string':
          if (typeof value === 'string') return value;
          if (typeof value === 'number' || typeof value === 'boolean') return String(value);
          throw mismatch();
        case 'double':
          if (typeof value === 'number') return value;
          throw mismatch();
        case 'bigint':
        case 'int':
          if (typeof value === 'number' && Number.isInteger(value)) return value;
          throw mismatch();
        case 'boolean':
          if (typeof value === 'boolean') return value;
          throw mismatch();
        default:
          throw mismatch();
      }
    case 'array':
      if (!Array.isArray(value)) throw mismatch();
      return value.map((element, index) =>
        conform(element, type.element, text, `${path}[${index}]`),
      );
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) throw mismatch();
      const entries = Object.entries(value as Record<string, unknown>);
      return Object.fromEntries(
        entries.map(([key, member]) => [key, conform(member, type.value, text, `${path}.${key}`)]),
      );
    }
    case 'struct': {
      if (typeof value !== 'object' || Array.isArray(value)) throw mismatch();
      const byName = new Map<string, unknown>();
      for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
        byName.set(key.toLowerCase(), member);
      }
      const row: Record<string, unknown> = {};
      for (const [field, fieldType] of type.fields) {
        row[field] = conform(byName.get(field), fieldType, text, `${path}.${field}`);
      }
      return row;
    }
  }
}

class HiveTypeReader {
  #at = 0;

  public constructor(private readonly text: string) {}

  public read(): HiveType {
    const type = this.#type();
    if (this.#at !== this.text.length) throw this.#error();
    return type;
  }

  #type(): HiveType {
    const name = this.#word();
    if (name === 'array') {
      this.#expect('<');
      const element = this.#type();
      this.#expect('>');
      return { kind: 'array', element };
    }
    if (name === 'map') {
      this.#expect('<');
      this.#type();
      this.#expect(',');
      const value = this.#type();
      this.#expect('>');
      return { kind: 'map', value };
    }
    if (name === 'struct') {
      this.#expect('<');
      const fields = new Map<string, HiveType>();
      do {
        const field = this.#word();
        this.#expect(':');
        fields.set(field, this.#type());
      } while (this.#accept(','));
      this.#expect('>');
      return { kind: 'struct', fields };
    }
    return { kind: 'primitive', name };
  }

  #word(): string {
    const match = /^[A-Za-z0-9_]+/.exec(this.text.slice(this.#at));
    if (!match) throw this.#error();
    this.#at += match[0].length;
    return match[0];
  }

  #accept(char: string): boolean {
    if (this.text[this.#at] !== char) return false;
    this.#at++;
    return true;
  }

  #expect(char: string): void {
    if (!this.#accept(char)) throw this.#error();
  }

  #error(): Error {
    return new Error(`archive column type "${this.text}": unreadable at character ${this.#at}`);
  }
}
