import { z } from 'zod';

/** Longest `id` accepted: a UUID is 36 characters, a ULID 26; 64 leaves room for others. */
export const MAX_EVENT_ID_LENGTH = 64;

/**
 * The envelope every streamfold event carries. `data` is validated separately
 * against the schema its `type` declares in the event catalog.
 */
export const envelopeSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(MAX_EVENT_ID_LENGTH)
    .regex(/^[A-Za-z0-9_-]+$/, 'must contain only letters, digits, "-" and "_"'),
  type: z.string().min(1).max(64),
  // Event time with an explicit offset, so bucketing never depends on a local time zone.
  time: z.iso.datetime({ offset: true }),
  source: z.string().min(1).max(128),
  data: z.record(z.string(), z.unknown()),
});

/** An event as it travels through the pipeline. */
export interface StreamfoldEvent<TType extends string = string, TData = Record<string, unknown>> {
  /** Producer-assigned identifier (UUID or ULID), unique end to end. */
  id: string;
  /** Event type, a key of the event catalog. */
  type: TType;
  /** Event time, ISO 8601 with offset; aggregates bucket by it. */
  time: string;
  /** The application or device that produced the event. */
  source: string;
  /** Type-specific payload. */
  data: TData;
}
