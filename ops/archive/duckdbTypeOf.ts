import { type HiveType, parseHiveType } from '../../core/codec/parseHiveType.js';

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
  return render(parseHiveType(hiveType), hiveType, fieldName);
}

function render(type: HiveType, text: string, fieldName: (name: string) => string): string {
  switch (type.kind) {
    case 'array':
      return `${render(type.element, text, fieldName)}[]`;
    case 'map':
      return `MAP(${render(type.key, text, fieldName)}, ${render(type.value, text, fieldName)})`;
    case 'struct': {
      const members = [...type.fields].map(
        ([field, member]) =>
          `"${fieldName(field).replaceAll('"', '""')}" ${render(member, text, fieldName)}`,
      );
      return `STRUCT(${members.join(', ')})`;
    }
    case 'primitive': {
      const primitive = PRIMITIVES[type.name];
      if (!primitive) {
        throw new Error(
          `archive column type "${text}": type "${type.name}" has no DuckDB equivalent`,
        );
      }
      return primitive;
    }
  }
}
