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

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodNullable) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}

/** Whether a field schema holds a number. */
export function isNumericField(schema: z.ZodType | undefined): boolean {
  return schema instanceof z.ZodNumber;
}
