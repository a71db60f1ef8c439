import { type HiveType, parseHiveType } from '../../core/codec/parseHiveType.js';
import { isWellFormedText } from '../../core/text/isWellFormedText.js';

/**
 * The ranges of Hive's integer types (`int` is 32-bit, `bigint` 64-bit), as
 * doubles: a JSON integer outside them cannot be stored in its column, and
 * letting one through made the whole Parquet file fail to encode.
 */
const INTEGER_RANGE = {
  int: { min: -(2 ** 31), max: 2 ** 31 },
  bigint: { min: -(2 ** 63), max: 2 ** 63 },
} as const;

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

const parsed = new Map<string, HiveType>();

/**
 * `value` as a row of a Parquet file with the Glue column type `hiveType`
 * holds it, the way Firehose's OpenX JSON SerDe reads JSON into the table:
 * struct keys matched case-insensitively and stored under the column's
 * (lower-case) names, keys the type does not declare dropped, missing ones and
 * `null` as null, a number or boolean for a `string` column as its text.
 *
 * A value the column's type cannot hold is refused here, never left to the
 * Parquet writer: an integer outside `int`'s or `bigint`'s range, a number
 * JSON wrote beyond a double's range (`1e400`, read as Infinity), text with an
 * unpaired surrogate (UTF-8 cannot encode it). One such record would
 * otherwise fail the file of every record buffered with it.
 *
 * @throws {ColumnTypeMismatchError} naming the path when a value cannot fit
 *   (text for a number, a fraction for `bigint`, an object for a `string`, …)
 */
export function conformToHiveType(value: unknown, hiveType: string, path: string): unknown {
  let type = parsed.get(hiveType);
  if (!type) {
    type = parseHiveType(hiveType);
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
          if (typeof value === 'string' && isWellFormedText(value)) return value;
          if (typeof value === 'number' && Number.isFinite(value)) return String(value);
          if (typeof value === 'boolean') return String(value);
          throw mismatch();
        case 'double':
          if (typeof value === 'number' && Number.isFinite(value)) return value;
          throw mismatch();
        case 'bigint':
        case 'int': {
          const { min, max } = INTEGER_RANGE[type.name];
          if (typeof value === 'number' && Number.isInteger(value) && value >= min && value < max) {
            return value;
          }
          throw mismatch();
        }
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
      if (entries.some(([key]) => !isWellFormedText(key))) throw mismatch();
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
