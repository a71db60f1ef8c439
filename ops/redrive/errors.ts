/** Base class of every error the redrive command raises. */
export class RedriveError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedriveError';
  }
}

/** An on-failure object that cannot be read: names the object, the field and the value. */
export class OnFailureRecordError extends RedriveError {
  public constructor(
    public readonly key: string,
    public readonly field: string,
    detail: string,
  ) {
    super(`${key}: ${field} ${detail}`);
    this.name = 'OnFailureRecordError';
  }
}

/** The records of a metadata-only object could not be read back from the stream. */
export class StreamReadBackError extends RedriveError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StreamReadBackError';
  }
}

/** Entries that PutRecords still refused after every retry. */
export class PutRecordsRefusedError extends RedriveError {
  public constructor(
    public readonly refused: number,
    public readonly lastErrorCode: string,
  ) {
    super(`${refused} records still refused by PutRecords after every retry (${lastErrorCode})`);
    this.name = 'PutRecordsRefusedError';
  }
}

/** A command-line argument that cannot be used, naming the option and its value. */
export class RedriveArgsError extends RedriveError {
  public constructor(message: string) {
    super(message);
    this.name = 'RedriveArgsError';
  }
}
