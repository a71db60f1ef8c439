import type { CfnTable } from 'aws-cdk-lib/aws-glue';
import type { z } from 'zod';
import type { EventCatalog } from '../core/events/catalog.js';
import { envelopeSchema } from '../core/events/envelope.js';

/** The zod internals read here; zod 4 keeps the kind of a schema in `def.type`. */
interface SchemaInternals {
  def: {
    type: string;
    innerType?: z.ZodType;
    element?: z.ZodType;
    valueType?: z.ZodType;
    shape?: Record<string, z.ZodType>;
  };
  format?: string | null;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'readonly', 'nonoptional']);
const INTEGER_FORMATS = new Set(['safeint', 'int32', 'uint32', 'int64', 'uint64']);

/**
 * The Glue columns of the archive table, derived from the event envelope and the
 * event catalog, so a new event type or field reaches the table on the next deploy.
 *
 * `data` is one struct holding the union of every event type's fields (a
 * `page_view` row has `amount` null): queries read `data.amount` as a typed
 * number instead of parsing JSON text, and the OpenX SerDe fills the struct
 * from the nested object. `time` stays a string (ISO 8601 with offset), read with
 * `from_iso8601_timestamp(time)`, which handles every offset exactly.
 *
 * @throws {Error} when two event types declare the same field with different
 *   types, or a schema has no Hive equivalent
 */
export function archiveTableColumns(catalog: EventCatalog): CfnTable.ColumnProperty[] {
  const columns: CfnTable.ColumnProperty[] = [];
  for (const [name, schema] of Object.entries(envelopeSchema.shape)) {
    const type = name === 'data' ? dataStructType(catalog) : hiveType(schema, name);
    columns.push({ name: name.toLowerCase(), type });
  }
  return columns;
}

function dataStructType(catalog: EventCatalog): string {
  const fields = new Map<string, { type: string; declaredBy: string }>();
  for (const [eventType, schema] of Object.entries(catalog)) {
    for (const [field, fieldSchema] of Object.entries(schema.shape)) {
      const key = field.toLowerCase();
      const type = hiveType(fieldSchema as z.ZodType, `${eventType}.data.${field}`);
      const seen = fields.get(key);
      if (seen && seen.type !== type) {
        throw new Error(
          `event catalog: data.${field} is ${type} in "${eventType}" but ${seen.type} in "${seen.declaredBy}"; the archive table needs one type per field`,
        );
      }
      if (!seen) fields.set(key, { type, declaredBy: eventType });
    }
  }
  return `struct<${[...fields].map(([key, { type }]) => `${key}:${type}`).join(',')}>`;
}

function hiveType(schema: z.ZodType, path: string): string {
  const { def, format } = schema as unknown as SchemaInternals;
  if (WRAPPERS.has(def.type) && def.innerType) return hiveType(def.innerType, path);
  switch (def.type) {
    case 'string':
    case 'enum':
    case 'literal':
      return 'string';
    case 'number':
      return format && INTEGER_FORMATS.has(format) ? 'bigint' : 'double';
    case 'int':
    case 'bigint':
      return 'bigint';
    case 'boolean':
      return 'boolean';
    case 'array':
      if (def.element) return `array<${hiveType(def.element, `${path}[]`)}>`;
      break;
    case 'record':
      if (def.valueType) return `map<string,${hiveType(def.valueType, `${path}{}`)}>`;
      break;
    case 'object':
      if (def.shape) {
        const members = Object.entries(def.shape).map(
          ([key, member]) => `${key.toLowerCase()}:${hiveType(member, `${path}.${key}`)}`,
        );
        return `struct<${members.join(',')}>`;
      }
      break;
  }
  throw new Error(`event schema ${path}: no archive column type for zod type "${def.type}"`);
}
