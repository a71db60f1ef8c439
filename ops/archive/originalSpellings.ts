import type { z } from 'zod';
import type { EventCatalog } from '../../core/events/catalog.js';
import { envelopeSchema } from '../../core/events/envelope.js';

/**
 * The spelling of every field name in the envelope and the catalog, by its
 * lower-case form (`orderid` → `orderId`).
 */
export function originalSpellings(catalog: EventCatalog): Map<string, string> {
  const spellings = new Map<string, string>();
  const visit = (schema: z.ZodType | undefined): void => {
    const def = (schema as unknown as { def?: Record<string, unknown> } | undefined)?.def;
    if (!def) return;
    for (const inner of ['innerType', 'element', 'valueType'] as const)
      visit(def[inner] as z.ZodType);
    for (const [name, member] of Object.entries((def.shape ?? {}) as Record<string, z.ZodType>)) {
      if (!spellings.has(name.toLowerCase())) spellings.set(name.toLowerCase(), name);
      visit(member);
    }
  };
  for (const name of Object.keys(envelopeSchema.shape)) spellings.set(name.toLowerCase(), name);
  for (const schema of Object.values(catalog)) visit(schema);
  return spellings;
}
