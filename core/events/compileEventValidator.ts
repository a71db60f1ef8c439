import type { z } from 'zod';
import type { EventCatalog } from './catalog.js';
import {
  type CompiledZodParser,
  type CompiledZodVerdict,
  compileZodParser,
  compileZodVerdict,
  zodVerdict,
} from './compileZodParser.js';
import { envelopeSchema, type StreamfoldEvent } from './envelope.js';

/**
 * The fast path of event validation: returns the event exactly as the zod path
 * returns it (envelope and payload with unknown keys stripped), or `undefined`
 * when it does not vouch for the value, which zod then validates and, if it
 * refuses, explains. It never refuses on its own.
 */
export interface CompiledEventValidator {
  (value: unknown): StreamfoldEvent | undefined;
  /**
   * zod's verdict on a value, by the catalog the validator was compiled from,
   * as `safeParse` with `reportInput` reaches it, for the values the fast path
   * does not vouch for: zod runs only on the parts the compiled parsers refuse
   * (a refused field rather than the envelope and payload, each twice), and
   * goes on past a part it accepts, so the verdict never rests on theirs.
   * @default - none: the caller validates with zod's `safeParse`
   */
  verdict?: (value: object) => EventVerdict;
}

/**
 * What zod's schemas say of an event object, as the envelope, the catalog and
 * then the payload check it: the event, or where it was refused with zod's
 * first issue there (its input included, for the message to quote).
 */
export type EventVerdict =
  | { kind: 'accepted'; event: StreamfoldEvent }
  | { kind: 'envelope_refused'; issue: z.core.$ZodIssue | undefined }
  | { kind: 'unknown_type'; type: string }
  | { kind: 'data_refused'; issue: z.core.$ZodIssue | undefined };

/** A payload parser, with the schema it was compiled from to notice a catalog changed since. */
interface CompiledPayload {
  schema: EventCatalog[string];
  parse: CompiledZodParser;
  verdict: CompiledZodVerdict;
}

/**
 * Compiles the envelope schema and every payload schema of `catalog` into plain
 * functions, once, so that the events zod would accept are checked several
 * times faster than by zod. The zod schemas stay the one definition: the
 * compiler reads them, and a type whose schema uses a feature it does not
 * model (see {@link compileZodParser}) is left to zod, as is everything when
 * the envelope is. Its `verdict` explains the values it does not vouch for at
 * a fraction of the cost of zod's `safeParse` (see {@link compileZodVerdict}).
 *
 * @example
 * const fastPath = compileEventValidator(eventCatalog);
 * const event = fastPath(JSON.parse(line)) ?? validateEventObject(JSON.parse(line), eventCatalog);
 */
export function compileEventValidator(catalog: EventCatalog): CompiledEventValidator {
  // A schema of another zod major version (or no zod schema at all) does not carry the
  // internals read here: the whole catalog is then validated by `safeParse` as written.
  if (!Object.values(catalog).every(isZod4Schema)) return () => undefined;
  const parseEnvelope = compileZodParser(envelopeSchema);
  const envelopeVerdict = compileZodVerdict(envelopeSchema);
  const payloads = new Map<string, CompiledPayload>();
  for (const type of Object.keys(catalog)) {
    const schema = catalog[type];
    const parse = schema && compileZodParser(schema);
    if (schema && parse) payloads.set(type, { schema, parse, verdict: compileZodVerdict(schema) });
  }

  /** The compiled payload of `type` if `catalog` still holds the schema it was compiled from. */
  const compiledPayload = (type: string): CompiledPayload | undefined => {
    const payload = payloads.get(type);
    // A catalog edited after compiling is left to zod.
    return payload !== undefined && Object.hasOwn(catalog, type) && catalog[type] === payload.schema
      ? payload
      : undefined;
  };

  const validate: CompiledEventValidator = (value) => {
    const envelope = parseEnvelope?.(value) as Record<string, unknown> | undefined;
    if (envelope === undefined) return undefined;
    const type = envelope.type;
    if (typeof type !== 'string') return undefined;
    // Unknown types go to zod, which names them.
    const payload = compiledPayload(type);
    if (payload === undefined) return undefined;
    // As the zod path: the payload schema parses the envelope's (record-stripped) `data`.
    const data = payload.parse(envelope.data);
    if (data === undefined) return undefined;
    // The envelope's output is a fresh object: `data` is replaced in place, keeping zod's key order.
    envelope.data = data;
    return envelope as unknown as StreamfoldEvent;
  };

  validate.verdict = (value) => {
    // The envelope the compiled parser vouches for is zod's output; zod runs on what it refuses.
    let envelope = parseEnvelope?.(value) as Record<string, unknown> | undefined;
    if (envelope === undefined) {
      const checked = envelopeVerdict(value);
      if (!checked.success) return { kind: 'envelope_refused', issue: checked.issue };
      envelope = checked.data as Record<string, unknown>;
    }
    // The envelope schema makes `type` a string.
    const type = envelope.type as string;
    const schema = Object.hasOwn(catalog, type) ? catalog[type] : undefined;
    if (!schema) return { kind: 'unknown_type', type };
    const payload = compiledPayload(type);
    const data = payload ? payload.verdict(envelope.data) : zodVerdict(schema, envelope.data);
    if (!data.success) return { kind: 'data_refused', issue: data.issue };
    // Either envelope is a fresh object: `data` is replaced in place, keeping zod's key order.
    envelope.data = data.data;
    return { kind: 'accepted', event: envelope as unknown as StreamfoldEvent };
  };
  return validate;
}

/** Whether `schema` is a zod 4 schema, whose internal definition the compiler reads. */
function isZod4Schema(schema: unknown): boolean {
  const internals = (schema as { _zod?: { version?: { major?: unknown } } } | null)?._zod;
  return internals?.version?.major === 4;
}
