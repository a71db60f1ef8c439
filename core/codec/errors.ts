/** Base class of the errors the record codecs throw. */
export class CodecError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CodecError';
  }
}

/** A user record that cannot go into a KPL aggregated record; the message names the field and the value. */
export class InvalidKplUserRecordError extends CodecError {
  public constructor(
    public readonly field: 'partitionKey' | 'explicitHashKey' | 'data',
    public readonly value: unknown,
    problem: string,
  ) {
    super(`${field}: ${problem} (given ${quoteValue(value)})`);
    this.name = 'InvalidKplUserRecordError';
  }
}

/** `build()` was called on a KPL record builder that holds no user record. */
export class EmptyKplRecordError extends CodecError {
  public constructor() {
    // 4 magic bytes + an empty message + 16 digest bytes is too short for KCL to read as an aggregate.
    super('cannot build a KPL aggregated record without user records: add at least one first');
    this.name = 'EmptyKplRecordError';
  }
}

/** Longest excerpt of a bad value quoted in a message, in characters. */
const MAX_QUOTED_CHARS = 80;

function quoteValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (value instanceof Uint8Array) text = `${value.constructor.name} of ${value.length} bytes`;
  else text = String(value);
  return text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}…` : text;
}
