import { z } from 'zod';
import { envelopeSchema } from '../events/envelope.js';

/**
 * Finds the zod schema of a dotted field path (`type`, `source`, `data.amount`)
 * in an event whose payload schema is `dataSchema`, unwrapping optionals.
 *
 * @returns the field's schema, or `undefined` when the path does not exist
 */
export function resolveFieldSchema(dataSchema: z.ZodObject, path: string): z.ZodType | undefined {
  const [head, ...rest] = path.split('.');
  let current: z.ZodType | undefined;
  if (head === 'data') current = dataSchema;
  else if (head !== undefined && Object.hasOwn(envelopeSchema.shape, head) && rest.length === 0) {
    return envelopeSchema.shape[head as keyof typeof envelopeSchema.shape];
  } else return undefined;
  for (const key of rest) {
    current = unwrap(current);
    if (!(current instanceof z.ZodObject) || !Object.hasOwn(current.shape, key)) return undefined;
    current = current.shape[key] as z.ZodType;
  }
  return current && unwrap(current);
}

/** Wrappers that leave the type of what is sent as it is: their inner schema says it. */
const TRANSPARENT_WRAPPERS = new Set([
  'optional',
  'nullable',
  'default',
  'prefault',
  'readonly',
  'catch',
  'nonoptional',
]);

interface SchemaDefinition {
  type?: string;
  innerType?: z.ZodType;
  getter?: () => z.ZodType;
  options?: readonly z.ZodType[];
  values?: readonly unknown[];
}

function definitionOf(schema: z.ZodType | undefined): SchemaDefinition | undefined {
  return (schema as { _zod?: { def?: SchemaDefinition } } | undefined)?._zod?.def;
}

// Read through `_zod.def` rather than the classes' methods, so wrappers without an `unwrap`
// method (default, readonly, lazy ...) are looked through as well.
function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  for (let depth = 0; depth < 32; depth++) {
    const definition = definitionOf(current);
    if (definition?.type === 'lazy' && definition.getter) current = definition.getter();
    else if (definition?.type && TRANSPARENT_WRAPPERS.has(definition.type) && definition.innerType)
      current = definition.innerType;
    else return current;
  }
  return current;
}

/**
 * Whether a field schema holds a number as it is sent: a number, a numeric
 * literal, or a union of those with `null` (a missing value is simply not
 * counted). A transformed field does not: metrics read values as sent.
 */
export function isNumericField(schema: z.ZodType | undefined): boolean {
  const definition = definitionOf(unwrap(schema));
  switch (definition?.type) {
    case 'number':
      return true;
    case 'literal':
      return (definition.values ?? []).every((value) => typeof value === 'number');
    case 'union': {
      const options = (definition.options ?? []).map((option) => definitionOf(unwrap(option)));
      return (
        options.some((option) => option?.type !== 'null') &&
        (definition.options ?? []).every(
          (option) => definitionOf(unwrap(option))?.type === 'null' || isNumericField(option),
        )
      );
    }
    default:
      return false;
  }
}

/** Field types whose values cannot be a group: they hold several values, not one. */
const COMPOUND_TYPES = new Set(['object', 'array', 'record', 'map', 'set', 'tuple']);

/**
 * The kind of compound value a field schema holds (`object`, `array` ...), or
 * `undefined` for a field holding one value (string, number, boolean, enum ...).
 */
export function compoundKindOf(schema: z.ZodType | undefined): string | undefined {
  const type = definitionOf(unwrap(schema))?.type;
  return type !== undefined && COMPOUND_TYPES.has(type) ? type : undefined;
}
